import { test } from "node:test";
import assert from "node:assert/strict";
import { create, createFileRegistry, setExtension, type DescService } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  MethodOptionsSchema as DescMethodOptionsSchema,
  ServiceOptionsSchema as DescServiceOptionsSchema,
  file_google_protobuf_descriptor,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { serviceSpecs, validateWireName } from "../src/index.js";
import { VoiceAgent } from "../gen/agent/v1/agent_pb.js";
import { Interop } from "../gen/interop/v1/interop_pb.js";
import {
  Codec,
  MethodOptionsSchema,
  ServiceOptionsSchema,
  file_lkrpc_v1_options,
  method as methodExt,
  service as serviceExt,
} from "../gen/lkrpc/v1/options_pb.js";

test("the example service's options, as the Go generator resolves them", () => {
  const specs = Object.fromEntries(serviceSpecs(VoiceAgent).map((s) => [s.method.name, s]));
  assert.equal(specs.GetStatus?.name, "example.agent.v1.VoiceAgent/GetStatus", "default wire name");
  assert.equal(specs.GetStatus?.timeoutMs, 10000, "service timeout_ms");
  assert.equal(specs.GetStatus?.codec, "json", "JSON by default");
  assert.equal(specs.GetStatus?.maxRequestBytes, 0);
  assert.equal(specs.Summarize?.timeoutMs, 60000, "the method's timeout_ms wins");
  assert.equal(specs.Summarize?.maxRequestBytes, 16777216);
  assert.equal(specs.Summarize?.maxResponseBytes, 16777216);
  assert.equal(specs.AnnotateTranscript?.codec, "binary");
  assert.equal(specs.AnnotateTranscript?.timeoutMs, 10000);
  assert.equal(specs.Ping?.name, "ping", "name overrides");
  const interop = Object.fromEntries(serviceSpecs(Interop).map((s) => [s.method.name, s]));
  assert.equal(interop.Sleep?.name, "interop.sleep");
  assert.equal(interop.Sleep?.timeoutMs, 1500);
  assert.equal(interop.EchoBinary?.codec, "binary");
});

// A service built at run time, with options set on its descriptor as a
// .proto file would set them.
function buildService(
  serviceOpts: Parameters<typeof create<typeof ServiceOptionsSchema>>[1] | undefined,
  methods: { name: string; opts?: Parameters<typeof create<typeof MethodOptionsSchema>>[1]; stream?: boolean; clientStream?: boolean }[],
): DescService {
  const file: FileDescriptorProto = create(FileDescriptorProtoSchema, {
    name: "t/v1/t.proto",
    package: "t.v1",
    syntax: "proto3",
    dependency: ["lkrpc/v1/options.proto"],
    messageType: [{ name: "M" }],
    service: [
      {
        name: "Svc",
        method: methods.map((m) => ({
          name: m.name,
          inputType: ".t.v1.M",
          outputType: ".t.v1.M",
          serverStreaming: m.stream ?? false,
          clientStreaming: m.clientStream ?? false,
        })),
      },
    ],
  });
  const svc = file.service[0]!;
  if (serviceOpts) {
    svc.options = create(DescServiceOptionsSchema);
    setExtension(svc.options, serviceExt, create(ServiceOptionsSchema, serviceOpts));
  }
  methods.forEach((m, i) => {
    if (!m.opts) return;
    const mo = create(DescMethodOptionsSchema);
    setExtension(mo, methodExt, create(MethodOptionsSchema, m.opts));
    svc.method[i]!.options = mo;
  });
  const reg = createFileRegistry(file, (name) =>
    name === "lkrpc/v1/options.proto"
      ? file_lkrpc_v1_options
      : name === "google/protobuf/descriptor.proto"
        ? file_google_protobuf_descriptor
        : undefined,
  );
  return reg.getService("t.v1.Svc")!;
}

test("name_prefix, name, and field-by-field precedence", () => {
  const svc = buildService({ namePrefix: "lk.t.", codec: Codec.BINARY, timeoutMs: 100, maxRequestBytes: 10 }, [
    { name: "A" },
    { name: "B", opts: { name: "plain", codec: Codec.JSON, maxResponseBytes: 7 } },
    { name: "C", opts: { timeoutMs: 5 } },
  ]);
  const [a, b, c] = serviceSpecs(svc);
  assert.deepEqual(
    [a?.name, a?.codec, a?.timeoutMs, a?.maxRequestBytes, a?.maxResponseBytes],
    ["lk.t.A", "binary", 100, 10, 0],
  );
  assert.deepEqual([b?.name, b?.codec, b?.maxRequestBytes, b?.maxResponseBytes], ["plain", "json", 10, 7]);
  assert.deepEqual([c?.name, c?.codec, c?.timeoutMs], ["lk.t.C", "binary", 5]);
  const plain = serviceSpecs(buildService(undefined, [{ name: "A" }]));
  assert.equal(plain[0]?.name, "t.v1.Svc/A");
});

test("invalid options are refused, naming the method", () => {
  assert.throws(
    () => serviceSpecs(buildService(undefined, [{ name: "S", clientStream: true }])),
    /t\.v1\.Svc\.S: client and bidirectional streaming methods are not supported/,
  );
  assert.throws(
    () => serviceSpecs(buildService(undefined, [{ name: "B", clientStream: true, stream: true }])),
    /t\.v1\.Svc\.B: client and bidirectional streaming methods are not supported/,
  );
  const [served] = serviceSpecs(buildService(undefined, [{ name: "W", stream: true, opts: { timeoutMs: 9 } }]));
  assert.deepEqual([served?.kind, served?.name, served?.timeoutMs], ["server_streaming", "t.v1.Svc/W", 9]);
  assert.throws(
    () => serviceSpecs(buildService(undefined, [{ name: "A", opts: { name: "x" } }, { name: "B", opts: { name: "x" } }])),
    /t\.v1\.Svc\.B: wire name "x" is already used by A/,
  );
  assert.throws(
    () => serviceSpecs(buildService(undefined, [{ name: "A", opts: { maxRequestBytes: 2147483648 } }])),
    /max_request_bytes 2147483648 exceeds 2147483647/,
  );
  assert.throws(() => serviceSpecs(buildService(undefined, [{ name: "A", opts: { codec: 7 as Codec } }])), /unknown codec 7/);
});

test("wire names: non-empty UTF-8 of at most 255 bytes, no control characters", () => {
  validateWireName("x".repeat(255));
  validateWireName("é".repeat(127));
  assert.throws(() => validateWireName(""), /empty wire name/);
  assert.throws(() => validateWireName("x".repeat(256)), /256 bytes long, more than 255/);
  assert.throws(() => validateWireName("a\nb"), /control character U\+000A/);
  assert.throws(() => validateWireName("a\u0085b"), /control character U\+0085/);
});
