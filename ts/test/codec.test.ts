import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { Int64ValueSchema, StringValueSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  base64ToBytes,
  bytesToBase64,
  decodeMessage,
  detectCodec,
  encodeMessage,
  utf8Length,
} from "../src/index.js";
import { SampleSchema, type Sample } from "../gen/interop/v1/interop_pb.js";
import { Kind } from "../gen/interop/v1/interop_pb.js";


test("detectCodec follows Go's codec.Detect", () => {
  const cases: [string, string][] = [
    ["", "binary"],
    ["{}", "json"],
    [' \t\r\n{"a":1}', "json"],
    ["CgVoZWxsbw==", "binary"],
    ["[1,2]", "json"],
    ['"text"', "json"],
    ["-5", "json"],
    ["5", "binary"],
    ["true", "binary"],
    ["\v{}", "binary"],
    ["   ", "binary"],
  ];
  for (const [payload, want] of cases) assert.equal(detectCodec(payload), want, JSON.stringify(payload));
});

function sample(): Sample {
  return create(SampleSchema, {
    id: "s1",
    text: "héllo ✓ 𝄞",
    blob: new Uint8Array([0, 1, 2, 250, 251, 255]),
    big: -9007199254740993n,
    ubig: 18446744073709551615n,
    small: -7,
    ratio: 0.1,
    fraction: 1.5,
    flag: true,
    kind: Kind.LARGE,
    tags: ["a", "b"],
    numbers: [1n, -2n],
    counts: { x: 1, y: -2 },
    byId: { "5": { note: "five", kinds: [Kind.SMALL] } },
    nested: { note: "n" },
    choice: { case: "number", value: 42 },
    maybe: 0,
    at: { seconds: 1700000000n, nanos: 5000 },
    took: { seconds: 3n, nanos: 500000000 },
    meta: { k: "v", n: 1.5, list: [true, null] },
    label: "lbl",
    infinite: Number.NEGATIVE_INFINITY,
    fixed: 12345678901234567n,
  });
}

test("JSON is the canonical mapping Go's protojson writes", () => {
  const json = JSON.parse(encodeMessage(SampleSchema, sample(), "json"));
  assert.equal(json.big, "-9007199254740993", "64-bit integers are strings");
  assert.equal(json.ubig, "18446744073709551615");
  assert.equal(json.blob, "AAEC+vv/", "bytes are standard base64");
  assert.equal(json.kind, "KIND_LARGE", "enums are names");
  assert.deepEqual(json.byId, { "5": { note: "five", kinds: ["KIND_SMALL"] } }, "lowerCamelCase names, map keys strings");
  assert.equal(json.number, 42, "a oneof's field by its own name");
  assert.equal(json.maybe, 0, "an explicitly present optional is written");
  assert.equal(json.at, "2023-11-14T22:13:20.000005Z");
  assert.equal(json.took, "3.500s");
  assert.deepEqual(json.meta, { k: "v", n: 1.5, list: [true, null] });
  assert.equal(json.label, "lbl");
  assert.equal(json.infinite, "-Infinity");
  assert.equal(json.fixed, "12345678901234567");
  assert.equal(json.by_id, undefined);
  const empty = encodeMessage(SampleSchema, create(SampleSchema), "json");
  assert.equal(empty, "{}", "zero values are left out");
});

test("both codecs round-trip every field kind", () => {
  const m = sample();
  for (const codec of ["json", "binary"] as const) {
    const payload = encodeMessage(SampleSchema, m, codec);
    const back = decodeMessage(SampleSchema, payload);
    assert.equal(back.codec, codec);
    assert.deepEqual(toBinary(SampleSchema, back.message), toBinary(SampleSchema, m), codec);
  }
});

test("JSON reading ignores unknown fields and accepts proto names", () => {
  const { message } = decodeMessage(SampleSchema, '{"by_id":{"7":{"note":"x"}},"fieldFromTheFuture":{"x":[1]}}');
  assert.equal(message.byId["7"]?.note, "x");
});

test("binary is standard padded base64 of the protobuf encoding", () => {
  const m = create(StringValueSchema, { value: "hello? >>>" });
  const payload = encodeMessage(StringValueSchema, m, "binary");
  assert.equal(payload, Buffer.from(toBinary(StringValueSchema, m)).toString("base64"));
  assert.match(payload, /[+/]/, "the standard alphabet, not URL-safe");
  assert.deepEqual(bytesToBase64(new Uint8Array([0xfb, 0xff])), "+/8=");
  assert.deepEqual([...base64ToBytes("+/8=")], [0xfb, 0xff]);
  assert.throws(() => base64ToBytes("-_8="), /illegal base64/);
  assert.throws(() => base64ToBytes("+/8"), /illegal base64/, "padding is required");
});

test("the empty payload is the empty message, in binary", () => {
  const { message, codec } = decodeMessage(StringValueSchema, "");
  assert.equal(codec, "binary");
  assert.equal(message.value, "");
});

test("a bare JSON number decodes as JSON after binary fails", () => {
  const { message, codec } = decodeMessage(Int64ValueSchema, "5");
  assert.equal(codec, "json");
  assert.equal(message.value, 5n);
});

test("malformed payloads give errors that say why", () => {
  const cases: [string, RegExp][] = [
    ['{"value": 12', /not valid JSON for google.protobuf.StringValue/],
    ['{"value": 12}', /not valid JSON/],
    ["not base64!", /neither a JSON object nor standard base64/],
    [Buffer.from([0x0a, 0x05, 0x61]).toString("base64"), /not valid protobuf for google.protobuf.StringValue/],
  ];
  for (const [payload, want] of cases) {
    assert.throws(() => decodeMessage(StringValueSchema, payload), want, payload);
  }
});

test("a well-known type alone encodes to its special JSON form", () => {
  const ts = create(TimestampSchema, { seconds: 0n, nanos: 0 });
  assert.equal(encodeMessage(TimestampSchema, ts, "json"), '"1970-01-01T00:00:00Z"');
  assert.equal(decodeMessage(TimestampSchema, '"1970-01-01T00:00:01Z"').message.seconds, 1n);
});

test("utf8Length counts UTF-8 bytes", () => {
  assert.equal(utf8Length("abc"), 3);
  assert.equal(utf8Length("é"), 2);
  assert.equal(utf8Length("✓"), 3);
  assert.equal(utf8Length("𝄞"), 4);
});

test("megabytes of base64 decode (no regular expression on the whole payload)", () => {
  const bytes = new Uint8Array(10 << 20).map((_, i) => i * 7);
  const b64 = bytesToBase64(bytes);
  assert.equal(base64ToBytes(b64).length, bytes.length);
  assert.throws(() => base64ToBytes(b64.slice(0, -4) + "A=A="), /illegal base64/);
  assert.throws(() => base64ToBytes("A==="), /illegal base64/);
});
