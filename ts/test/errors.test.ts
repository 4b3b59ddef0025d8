import { test } from "node:test";
import assert from "node:assert/strict";
import { create, createRegistry, toBinary } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, LkrpcError, MAX_DATA_BYTES, encodeDetails, parseDetails, serviceRegistry } from "../src/index.js";
import { VoiceAgent, VoiceUnavailableSchema } from "../gen/agent/v1/agent_pb.js";
import { ProblemSchema } from "../gen/interop/v1/interop_pb.js";

// What Go's lkrpc.NewError(4040, …, &agentv1.VoiceUnavailable{…},
// durationpb.New(1500*time.Millisecond)) puts in Data (protojson spaces
// and all).
const goData =
  '{"details":[{"@type":"type.googleapis.com/example.agent.v1.VoiceUnavailable", "voiceId":"nova", "reason":"not installed", "availableVoiceIds":["alloy", "echo"]},{"@type":"type.googleapis.com/google.protobuf.Duration", "value":"1.500s"}]}';

test("details Go sends decode with the service's registry", () => {
  const err = new LkrpcError(4040, "voice nova is not available", { data: goData, registry: serviceRegistry(VoiceAgent) });
  assert.equal(err.code, 4040);
  assert.equal(err.message, "voice nova is not available");
  assert.equal(err.data, goData);
  const [voice, took] = err.details;
  assert.equal(voice?.$typeName, "example.agent.v1.VoiceUnavailable");
  assert.deepEqual(
    toBinary(VoiceUnavailableSchema, voice as never),
    toBinary(VoiceUnavailableSchema, create(VoiceUnavailableSchema, { voiceId: "nova", reason: "not installed", availableVoiceIds: ["alloy", "echo"] })),
  );
  assert.equal(took?.$typeName, "google.protobuf.Duration", "well-known types are known too");
  const found = err.findDetails(VoiceUnavailableSchema);
  assert.equal(found.length, 1);
  assert.deepEqual(found[0]?.availableVoiceIds, ["alloy", "echo"]);
  assert.equal(err.findDetails(ProblemSchema).length, 0);
  assert.equal(err.rawDetails.length, 2);
});

test("unknown detail types are left out of details but found by schema", () => {
  const data = encodeDetails([{ desc: ProblemSchema, value: { reason: "r", retryAfterMs: 5n } }]);
  const err = new LkrpcError(4090, "m", { data, registry: serviceRegistry(VoiceAgent) });
  assert.equal(err.details.length, 0);
  assert.equal(err.findDetails(ProblemSchema)[0]?.retryAfterMs, 5n);
});

test("outgoing details use Go's envelope and Any JSON", () => {
  const err = new LkrpcError(4040, "voice nova is not available", {
    details: [
      { desc: VoiceUnavailableSchema, value: { voiceId: "nova", availableVoiceIds: ["alloy"] } },
      create(DurationSchema, { seconds: 1n, nanos: 500000000 }),
    ],
    registry: createRegistry(DurationSchema),
  });
  assert.deepEqual(JSON.parse(err.data!), {
    details: [
      { "@type": "type.googleapis.com/example.agent.v1.VoiceUnavailable", voiceId: "nova", availableVoiceIds: ["alloy"] },
      { "@type": "type.googleapis.com/google.protobuf.Duration", value: "1.500s" },
    ],
  });
});

test("a bare message detail needs its type in a registry", (t) => {
  t.mock.method(console, "warn", () => {});
  const err = new LkrpcError(1, "m", { details: [create(ProblemSchema, { reason: "x" })] });
  assert.equal(err.data, undefined, "left out without a registry");
  const err2 = new LkrpcError(1, "m", { details: [create(ProblemSchema, { reason: "x" })] });
  assert.match(err2.dataWith(createRegistry(ProblemSchema))!, /"reason":"x"/);
});

test("details are added while they fit the 15360-byte data limit", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  const big = "x".repeat(8000);
  const data = encodeDetails([
    { desc: ProblemSchema, value: { reason: big } },
    { desc: ProblemSchema, value: { reason: big } },
    { desc: ProblemSchema, value: { reason: "small" } },
  ])!;
  assert.ok(Buffer.byteLength(data) <= MAX_DATA_BYTES);
  assert.deepEqual(
    parseDetails(data).map((d) => (d.reason as string).length),
    [8000, 5],
  );
  assert.equal(warn.mock.callCount(), 1);
});

test("error data that is not details JSON is kept as is", () => {
  const err = new LkrpcError(2005, "node refused", { data: '{"from":"node"}', registry: serviceRegistry(VoiceAgent) });
  assert.deepEqual(err.details, []);
  assert.deepEqual(err.rawDetails, []);
  assert.equal(err.data, '{"from":"node"}');
  assert.deepEqual(parseDetails("not json"), []);
});

test("LkrpcError.from converts an SDK RpcError and leaves other errors alone", () => {
  const sdk = Object.assign(new Error("Response timeout"), { code: 1502, data: undefined });
  const e = LkrpcError.from(sdk) as LkrpcError;
  assert.ok(e instanceof LkrpcError);
  assert.equal(e.code, Code.RESPONSE_TIMEOUT);
  assert.equal(e.message, "Response timeout");
  assert.equal(e.cause, sdk);
  const plain = new Error("room not connected");
  assert.equal(LkrpcError.from(plain), plain);
});

test("a built-in code gets the SDKs' message", () => {
  assert.equal(new LkrpcError(Code.UNSUPPORTED_METHOD).message, "Method not supported at destination");
  assert.equal(String(new LkrpcError(1500)), "LkrpcError: [1500] Application error in method handler");
  assert.deepEqual(
    [Code.MALFORMED_REQUEST, Code.MALFORMED_RESPONSE, Code.PERMISSION_DENIED, Code.SEND_FAILED],
    [2400, 2401, 2403, 1505],
  );
});
