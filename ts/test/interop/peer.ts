// The typed TypeScript peer of the Go end-to-end tests (e2e/typed_ts_test.go):
// the same commands in Chromium (livekit-client, e2e/js/typed/index.html) and
// in Node (@livekit/rtc-node, e2e/js/typed_node_peer.mjs). It serves and calls
// lkrpc.interop.v1.Interop with @lkrpc/lkrpc, and hands every message it
// decoded back to the Go test as binary protobuf in base64, so that the test
// compares messages with proto.Equal, never strings.
import { fromBinary, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  awaitParticipant,
  serves,
  bytesToBase64,
  base64ToBytes,
  createClient,
  registerHandlers,
  LkrpcError,
  type CodecName,
  type RpcErrorClass,
  type RpcRoom,
} from "../../src/index.js";
import { Interop, ProblemSchema, Unserved, CountItemSchema, SampleSchema, Kind } from "../../gen/interop/v1/interop_pb.js";
import { AnswerChunkSchema, VoiceAgent } from "../../gen/agent/v1/agent_pb.js";
import { create } from "@bufbuild/protobuf";

/** What a peer needs from its SDK. */
export interface PeerSDK {
  /** Creates and connects a room. */
  connect(url: string, token: string): Promise<RpcRoom & { disconnect(): Promise<unknown> }>;
  RpcError: RpcErrorClass;
  version: string;
}

/** The Problem detail Fail throws; the Go test expects exactly this. */
export const failProblem = {
  reason: "refused on purpose",
  retryAfterMs: 9007199254740993n,
  hints: ["wait", "retry ✓"],
  labels: { side: "ts" },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** n bytes of valid UTF-8 mixing 1- to 4-byte characters, newlines and quotes (as utf8Text in the Go test). */
export function utf8Text(n: number): string {
  const unit = 'lkrpc ✓ é 𝄞 "q" \\ \n';
  let out = "";
  let bytes = 0;
  for (;;) {
    for (const ch of unit) {
      const w = new TextEncoder().encode(ch).length;
      if (bytes + w > n) return out + "x".repeat(n - bytes);
      out += ch;
      bytes += w;
    }
  }
}

/** The Count item index i of a call asking for size bytes each. */
function countItem(i: number, size: number) {
  return create(CountItemSchema, {
    index: i,
    text: utf8Text(size),
    sample:
      i === 0
        ? create(SampleSchema, {
            id: "first",
            big: -9223372036854775808n,
            ubig: 18446744073709551615n,
            kind: Kind.LARGE,
            tags: ["a", "", "é"],
            counts: { x: 1 },
            choice: { case: "name", value: "n" },
            infinite: -Infinity,
          })
        : undefined,
  });
}

/** The words the TypeScript Answer streams, as the Go agent's example/agent does. */
function answerWords(question: string): string[] {
  return ("You asked about " + (question.trim() || "nothing") + ". TypeScript streams this answer word by word.")
    .split(/\s+/)
    .filter((w) => w !== "");
}

export function createInteropPeer(sdk: PeerSDK) {
  let room: (RpcRoom & { disconnect(): Promise<unknown> }) | undefined;
  let unserve: (() => void) | undefined;
  let unserveAgent: (() => void) | undefined;
  const received = new Map<string, { b64: string; codec: CodecName }>();
  const need = () => {
    if (!room) throw new Error("not connected");
    return room;
  };
  const record = (schema: DescMessage, id: string, req: never, codec: CodecName) =>
    received.set(id, { b64: bytesToBase64(toBinary(schema, req)), codec });
  // What each streaming handler sent (binary protobuf in base64) and how it ended.
  const streamed = new Map<string, { items: string[]; ended: string }>();

  return {
    async connect(url: string, token: string) {
      room = await sdk.connect(url, token);
      return { version: sdk.version };
    },

    async waitFor(identity: string, timeoutMs: number) {
      if (!(await awaitParticipant(need(), identity, timeoutMs))) {
        throw new Error(`participant ${identity} not seen within ${timeoutMs} ms`);
      }
      return true;
    },

    // serve registers Interop (all methods). Fail throws typed details,
    // or, for why == "plain", a plain Error whose text must not travel.
    serve(errorText: boolean) {
      unserve = registerHandlers(
        Interop,
        need(),
        {
          echoJSON(req, ctx) {
            record(Interop.method.echoJSON.input, req.sample?.id ?? "", req as never, ctx.codec);
            return { sample: req.sample };
          },
          echoBinary(req, ctx) {
            record(Interop.method.echoBinary.input, req.sample?.id ?? "", req as never, ctx.codec);
            return { sample: req.sample };
          },
          fail(req) {
            if (req.why === "plain") throw new Error("secret text of a TypeScript handler");
            throw new LkrpcError(4090, "refused: " + req.why, {
              details: [
                { desc: ProblemSchema, value: failProblem },
                { desc: DurationSchema, value: { seconds: 1n, nanos: 500000000 } },
              ],
            });
          },
          async sleep(req) {
            await sleep(req.sleepMs);
            return { sleptMs: req.sleepMs };
          },
          async *count(req, ctx) {
            const rec = { items: [] as string[], ended: "" };
            streamed.set(req.id, rec);
            try {
              for (let i = 0; req.count === 0 || i < req.count; i++) {
                if (i > 0 && req.intervalMs > 0) await sleep(req.intervalMs);
                if (ctx.signal.aborted) break;
                const item = countItem(i, req.size);
                rec.items.push(bytesToBase64(toBinary(CountItemSchema, item)));
                yield item;
              }
              if (req.fail && !ctx.signal.aborted) {
                throw new LkrpcError(4090, "refused: " + req.id, {
                  details: [
                    { desc: ProblemSchema, value: failProblem },
                    { desc: DurationSchema, value: { seconds: 1n, nanos: 500000000 } },
                  ],
                });
              }
            } finally {
              rec.ended = ctx.signal.aborted ? "cancelled" : "completed";
            }
          },
        },
        { RpcError: sdk.RpcError, errorText, onError: () => {} },
      );
      unserveAgent = registerHandlers(
        VoiceAgent,
        need(),
        {
          async *answer(req, ctx) {
            const rec = { items: [] as string[], ended: "" };
            streamed.set("answer:" + req.question, rec);
            try {
              const words = answerWords(req.question);
              for (let i = 0; i < words.length; i++) {
                if (i > 0) await sleep(10);
                if (ctx.signal.aborted) break;
                const chunk = create(AnswerChunkSchema, { text: (i > 0 ? " " : "") + words[i], index: i });
                rec.items.push(bytesToBase64(toBinary(AnswerChunkSchema, chunk)));
                yield chunk;
              }
            } finally {
              rec.ended = ctx.signal.aborted ? "cancelled" : "completed";
            }
          },
        },
        { RpcError: sdk.RpcError, onError: () => {} },
      );
      return true;
    },

    // streamed answers what the streaming handler sent for id ("answer:" +
    // question for Answer) and how it ended ("" while it runs), or null.
    streamed(id: string) {
      return streamed.get(id) ?? null;
    },

    // callStream calls a server-streaming method (Interop.count or
    // VoiceAgent.answer) on destination, reads the messages (all of them,
    // or breaks after stopAfter > 0), and answers them as binary protobuf
    // in base64 with the outcome.
    async callStream(
      service: "Interop" | "VoiceAgent",
      method: string,
      destination: string,
      requestB64: string,
      options: { timeoutMs?: number; idleTimeoutMs?: number; windowBytes?: number; codec?: CodecName } = {},
      stopAfter = 0,
    ) {
      const svc = service === "Interop" ? Interop : VoiceAgent;
      const desc = svc.methods.find((m) => m.localName === method);
      if (!desc) throw new Error(`no method ${service}.${method}`);
      const client = createClient(svc, need(), destination) as unknown as Record<
        string,
        (req: unknown, opts: object) => AsyncIterable<never>
      >;
      const request = fromBinary(desc.input, base64ToBytes(requestB64));
      const items: string[] = [];
      const start = performance.now();
      let firstMs = 0;
      try {
        for await (const m of client[method]!(request, options)) {
          if (items.length === 0) firstMs = performance.now() - start;
          items.push(bytesToBase64(toBinary(desc.output, m)));
          if (stopAfter > 0 && items.length >= stopAfter) break;
        }
        return { ok: true, items, firstMs, ms: performance.now() - start };
      } catch (e) {
        const ms = performance.now() - start;
        if (!(e instanceof LkrpcError)) return { ok: false, items, notLkrpc: String(e), ms };
        return {
          ok: false,
          items,
          code: e.code,
          message: e.message,
          data: e.data ?? "",
          details: e.details.map((d) => ({ type: d.$typeName, b64: detailB64(d) })),
          firstMs,
          ms,
        };
      }
    },

    // unserve unregisters what serve registered (and so withdraws
    // Interop from the discovery attribute).
    unserve() {
      unserve?.();
      unserveAgent?.();
      return true;
    },

    // awaitServes waits until identity advertises service in the discovery
    // attribute (want true) or no longer does (want false), and answers how
    // long that took and when it saw it (Date.now(): the Go test, on the
    // same machine, times the change from its own clock).
    async awaitServes(identity: string, service: string, want: boolean, timeoutMs: number) {
      const start = performance.now();
      while (serves(need(), identity, service) !== want) {
        if (performance.now() - start > timeoutMs) {
          throw new Error(`${identity} ${want ? "does not serve" : "still serves"} ${service} after ${timeoutMs} ms`);
        }
        await sleep(10);
      }
      return { ms: performance.now() - start, at: Date.now() };
    },

    // received hands back (and forgets) the request the handler decoded for
    // sample id, and the form it came in.
    received(id: string) {
      const r = received.get(id);
      received.delete(id);
      return r ?? null;
    },

    // call calls Interop.<method> (or Unserved.<method>) on destination
    // with the request given as binary protobuf in base64.
    async call(
      service: "Interop" | "Unserved",
      method: string,
      destination: string,
      requestB64: string,
      options: { codec?: CodecName; timeoutMs?: number } = {},
    ) {
      const svc = service === "Interop" ? Interop : Unserved;
      const desc = svc.methods.find((m) => m.localName === method);
      if (!desc) throw new Error(`no method ${service}.${method}`);
      const client = createClient(svc, need(), destination) as unknown as Record<
        string,
        (req: unknown, opts: object) => Promise<never>
      >;
      const request = fromBinary(desc.input, base64ToBytes(requestB64));
      const start = performance.now();
      try {
        const reply = await client[method]!(request, options);
        return { ok: true, replyB64: bytesToBase64(toBinary(desc.output, reply)), ms: performance.now() - start };
      } catch (e) {
        const ms = performance.now() - start;
        if (!(e instanceof LkrpcError)) return { ok: false, notLkrpc: String(e), ms };
        return {
          ok: false,
          code: e.code,
          message: e.message,
          data: e.data ?? "",
          details: e.details.map((d) => ({ type: d.$typeName, b64: detailB64(d) })),
          ms,
        };
      }
    },

    async disconnect() {
      await room?.disconnect();
      room = undefined;
      return true;
    },
  };
}

// A detail as binary protobuf, found by its type among those the tests use.
function detailB64(d: { $typeName: string }): string {
  for (const schema of [ProblemSchema, DurationSchema] as DescMessage[]) {
    if (schema.typeName === d.$typeName) return bytesToBase64(toBinary(schema, d as never));
  }
  return "";
}

