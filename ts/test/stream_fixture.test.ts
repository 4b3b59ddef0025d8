// Replies exactly as lkrpc's Go handler writes them (runtime/engine/frame,
// runtime/codec, lkrpc.NewError; fixtures/gen_go_stream.go wrote the
// file), read by the TypeScript caller however the chunks cut them; and
// the frames the TypeScript side writes, byte for byte Go's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createClient, endFrame, messageFrame, FrameReader, FrameTooLargeError, LkrpcError } from "../src/index.js";
import { VoiceAgent, VoiceUnavailableSchema } from "../gen/agent/v1/agent_pb.js";
import { FakeNetwork } from "./fakeroom.js";

interface Fixture {
  name: string;
  content: string;
  texts: string[];
  code: number;
  message: string;
}

const fixtures: Fixture[] = JSON.parse(
  readFileSync(new URL("../../test/fixtures/go_stream_reply.json", import.meta.url), "utf8"),
) as Fixture[];

test("the Go-written fixtures are there", () => {
  assert.deepEqual(
    fixtures.map((f) => f.name),
    ["ok-json", "error-json", "ok-binary", "error-binary"],
  );
});

for (const f of fixtures) {
  test(`a Go-written reply (${f.name}) cut anywhere reads as Go wrote it`, async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const net = new FakeNetwork(seed);
      const agent = net.join("agent");
      const front = net.join("frontend");
      agent.registerTextStreamHandler!("lkrpc.stream.request", async (reader, p) => {
        const w = await agent.localParticipant.streamText!({
          topic: "lkrpc.stream.reply",
          destinationIdentities: [p.identity],
          attributes: { "lkrpc.id": reader.info.attributes!["lkrpc.id"]! },
        });
        // Go writes the frames as they come; here, in random pieces.
        let rest = f.content;
        while (rest.length > 0) {
          const n = 1 + Math.floor(((seed * 7919 + rest.length) % 97) / 3);
          const cps = [...rest];
          await w.write(cps.slice(0, n).join(""));
          rest = cps.slice(n).join("");
        }
        await w.close();
      });
      const got: string[] = [];
      let err: unknown;
      try {
        for await (const c of createClient(VoiceAgent, front, "agent").answer({})) {
          assert.equal(c.index, got.length);
          got.push(c.text);
        }
      } catch (e) {
        err = e;
      }
      assert.deepEqual(got, f.texts, `seed ${seed}`);
      if (f.code === 0) {
        assert.equal(err, undefined, `seed ${seed}`);
      } else {
        assert.ok(err instanceof LkrpcError, String(err));
        assert.equal(err.code, f.code);
        assert.equal(err.message, f.message);
        const [d] = err.findDetails(VoiceUnavailableSchema);
        assert.deepEqual([d?.voiceId, d?.availableVoiceIds], ["nova", ["alloy", "echo"]]);
      }
    }
  });
}

test("frames as Go writes them: m + payload, e + {code[, message][, data]}", () => {
  const ok = fixtures.find((f) => f.name === "ok-json")!;
  const err = fixtures.find((f) => f.name === "error-json")!;
  const lines = err.content.split("\n");
  assert.equal(endFrame({ code: 0 }), ok.content.split("\n").at(-2)! + "\n");
  const st = JSON.parse(lines.at(-2)!.slice(1)) as { code: number; message: string; data: string };
  assert.equal(endFrame(st), lines.at(-2)! + "\n");
  assert.equal(messageFrame('{"text":"You"}'), "m" + '{"text":"You"}' + "\n");
  assert.throws(() => messageFrame("a\nb"), /newline/);
  // Truncated to the wire limits on code point boundaries.
  const long = endFrame({ code: 4000, message: "é".repeat(200), data: "𝄞".repeat(5000) });
  const parsed = JSON.parse(long.slice(1)) as { message: string; data: string };
  assert.equal(Buffer.byteLength(parsed.message), 256);
  assert.equal(Buffer.byteLength(parsed.data), 15360);
});

test("FrameReader: any cut, sizes in bytes, the bound, errors after the frames before them", () => {
  const content = fixtures[0]!.content;
  for (let cut = 1; cut < content.length; cut++) {
    const r = new FrameReader(1000);
    const frames = [...r.write(content.slice(0, cut)).frames, ...r.write(content.slice(cut)).frames];
    if (content.charCodeAt(cut - 1) >= 0xd800 && content.charCodeAt(cut - 1) < 0xdc00) continue; // not a code point boundary
    assert.equal(frames.length, 6, `cut ${cut}`);
    assert.equal(frames.reduce((n, f) => n + f.size, 0), Buffer.byteLength(content));
  }
  const r = new FrameReader(10);
  const { frames, error } = r.write("m12345\nm123456789");
  assert.equal(frames.length, 1);
  assert.ok(error instanceof FrameTooLargeError);
  assert.equal(new FrameReader(10).write("m12345678\n").error, undefined); // 10 bytes with "\n": within 10
  assert.ok(new FrameReader(10).write("m123456789\n").error instanceof FrameTooLargeError); // 11
  assert.ok(new FrameReader(10).write("mé𝄞123\n").error instanceof FrameTooLargeError, "bytes, not UTF-16 units"); // 1+2+4+3+1 = 11
});
