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
import { Interop, ProblemSchema, Unserved } from "../../gen/interop/v1/interop_pb.js";

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

export function createInteropPeer(sdk: PeerSDK) {
  let room: (RpcRoom & { disconnect(): Promise<unknown> }) | undefined;
  let unserve: (() => void) | undefined;
  const received = new Map<string, { b64: string; codec: CodecName }>();
  const need = () => {
    if (!room) throw new Error("not connected");
    return room;
  };
  const record = (schema: DescMessage, id: string, req: never, codec: CodecName) =>
    received.set(id, { b64: bytesToBase64(toBinary(schema, req)), codec });

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
        },
        { RpcError: sdk.RpcError, errorText, onError: () => {} },
      );
      return true;
    },

    // unserve unregisters what serve registered (and so withdraws
    // Interop from the discovery attribute).
    unserve() {
      unserve?.();
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

