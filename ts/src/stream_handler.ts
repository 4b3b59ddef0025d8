// The handler's end of server-streaming calls (PROTOCOL.md §8): one request
// dispatcher per room, the reply opened at once (the acknowledgement), one
// frame per message the implementation yields, sent within the caller's
// credit, and the end frame. It mirrors Go's runtime/engine/stream_serve.go.

import { create, isMessage, type DescMessage, type MessageInitShape, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { decodeMessage, encodeMessage, errorText, utf8Length, type CodecName } from "./codec.js";
import { BUILTIN_MESSAGES, Code, LkrpcError } from "./errors.js";
import { endFrame, messageFrame, type FrameStatus } from "./frame.js";
import { localParticipant, type RpcErrorClass, type RpcRoom, type TextStreamReader, type TextStreamWriter } from "./room.js";
import type { MethodSpec } from "./spec.js";
import { discard, roomStreams } from "./streamroom.js";
import {
  ATTR_FIRST_MS,
  ATTR_ID,
  ATTR_METHOD,
  ATTR_VERSION,
  ATTR_WINDOW,
  DEFAULT_STREAM_MESSAGE_MAX,
  DEFAULT_STREAM_WINDOW,
  MAX_STREAMS_PER_CALLER,
  PRESENCE_POLL_MS,
  STREAM_WIRE_VERSION,
  TOPIC_STREAM_REPLY,
} from "./streamwire.js";

/** What a streaming handler learns about the call it serves. */
export interface StreamHandlerContext {
  /** The wire name of the method called. */
  readonly method: string;
  /** The caller's identity, as the SFU stamped it on the request. */
  readonly callerIdentity: string;
  /** The call id (lkrpc.id). */
  readonly requestId: string;
  /** How long the caller waits for the first message, in milliseconds (lkrpc.first_ms, advisory). */
  readonly responseTimeoutMs: number;
  /** The form of the request, which every message of the reply takes too. */
  readonly codec: CodecName;
  /** Aborted when the caller cancels (break, abort, a timeout, a cap) or leaves the room: stop then. */
  readonly signal: AbortSignal;
}

/** A server-streaming implementation: an async generator function is the natural form. */
export type StreamImplFn = (request: unknown, context: StreamHandlerContext) => AsyncIterable<unknown>;

/** How a streaming method's failures are reported (registerHandlers' options). */
export interface StreamServeOptions {
  RpcError: RpcErrorClass;
  errorText?: boolean;
  onError?: (error: unknown, method: string) => void;
}

/** One streaming method served on a room. */
interface Served {
  spec: MethodSpec;
  fn: StreamImplFn | undefined;
  options: StreamServeOptions;
  registry: Registry;
}

/** What one room serves, and the calls running per caller. */
interface RoomServing {
  methods: Map<string, Served>;
  perCaller: Map<string, number>;
}

const serving = new WeakMap<RpcRoom, RoomServing>();

/**
 * serveStream serves the server-streaming method spec on room with fn
 * (undefined: the method answers 1400) and returns the function that stops
 * serving it. It throws when the method is served there already.
 */
export function serveStream(
  room: RpcRoom,
  spec: MethodSpec,
  fn: StreamImplFn | undefined,
  options: StreamServeOptions,
  registry: Registry,
): () => void {
  let state = serving.get(room);
  if (!state) {
    state = { methods: new Map(), perCaller: new Map() };
    serving.set(room, state);
  }
  const s = state;
  if (s.methods.has(spec.name)) throw new Error(`a stream handler is already registered for method ${spec.name}`);
  roomStreams(room).serveRequests((reader, caller) => void onRequest(room, s, reader, caller));
  const served: Served = { spec, fn, options, registry };
  s.methods.set(spec.name, served);
  return () => {
    if (s.methods.get(spec.name) === served) s.methods.delete(spec.name);
  };
}

/** Reads a text stream whole. */
async function readAll(reader: TextStreamReader): Promise<string> {
  const parts: string[] = [];
  const it = reader[Symbol.asyncIterator]();
  for (;;) {
    const r = await it.next();
    if (r.done) return parts.join("");
    parts.push(r.value);
  }
}

/** Serves one streaming request (§8.2): the reply's header first (the ack), then the checks, the handler and the end frame. */
async function onRequest(room: RpcRoom, s: RoomServing, reader: TextStreamReader, caller: string): Promise<void> {
  const attrs = { ...(reader.info.attributes ?? {}) };
  const id = attrs[ATTR_ID] ?? "";
  if (id === "") {
    discard(reader);
    return;
  }
  let payload = "";
  let readError: unknown;
  try {
    payload = await readAll(reader);
  } catch (e) {
    readError = e;
  }
  let writer: TextStreamWriter;
  try {
    writer = await localParticipant(room).streamText!({
      topic: TOPIC_STREAM_REPLY,
      destinationIdentities: [caller],
      attributes: { [ATTR_ID]: id },
    });
  } catch {
    return; // nobody to answer
  }
  const out = new ReplyWriter(writer, parseWindow(attrs[ATTR_WINDOW]));
  const served = s.methods.get(attrs[ATTR_METHOD] ?? "");
  let status: FrameStatus | undefined;
  if (readError !== undefined) {
    status = builtin(Code.APPLICATION_ERROR, "Error reading RPC request payload: " + errorText(readError));
  } else if (attrs[ATTR_VERSION] !== STREAM_WIRE_VERSION) {
    status = builtin(Code.UNSUPPORTED_VERSION, "lkrpc stream version " + JSON.stringify(attrs[ATTR_VERSION] ?? ""));
  } else if (!served) {
    status = builtin(Code.UNSUPPORTED_METHOD);
  } else if (roomStreams(room).serving(caller, id)) {
    status = builtin(Code.APPLICATION_ERROR, `a streaming call with id ${id} is already running`);
  } else if ((s.perCaller.get(caller) ?? 0) >= MAX_STREAMS_PER_CALLER) {
    status = builtin(Code.APPLICATION_ERROR, `too many streaming calls from caller (limit ${MAX_STREAMS_PER_CALLER})`);
  }
  if (status !== undefined || !served) {
    await out.end(status ?? builtin(Code.UNSUPPORTED_METHOD));
    return;
  }

  // The call runs: its signal ends when the caller cancels or leaves.
  const ac = new AbortController();
  const stopControl = roomStreams(room).expectControl(caller, id, (op, consumed) => {
    if (op === "cancel") ac.abort(new LkrpcError(Code.APPLICATION_ERROR, "the caller cancelled the call"));
    else out.credit(consumed);
  });
  let seen = room.remoteParticipants?.has(caller) ?? false;
  const presence = setInterval(() => {
    const here = room.remoteParticipants?.has(caller) ?? true;
    if (here) seen = true;
    else if (seen) ac.abort(new LkrpcError(Code.RECIPIENT_DISCONNECTED, "the caller left the room"));
  }, PRESENCE_POLL_MS);
  s.perCaller.set(caller, (s.perCaller.get(caller) ?? 0) + 1);
  try {
    status = await run(served, payload, caller, id, Number(attrs[ATTR_FIRST_MS] ?? 0), ac, out);
  } finally {
    clearInterval(presence);
    stopControl();
    const n = (s.perCaller.get(caller) ?? 1) - 1;
    if (n > 0) s.perCaller.set(caller, n);
    else s.perCaller.delete(caller);
  }
  if (ac.signal.aborted) {
    // The caller cancelled or left: nobody waits for a status.
    await out.close();
    return;
  }
  await out.end(status);
}

/** Runs the implementation and returns the status the reply ends with. */
async function run(
  served: Served,
  payload: string,
  caller: string,
  id: string,
  firstMs: number,
  ac: AbortController,
  out: ReplyWriter,
): Promise<FrameStatus> {
  const { spec, fn } = served;
  const { input, output } = spec.method;
  if (spec.maxRequestBytes > 0) {
    const n = utf8Length(payload);
    if (n > spec.maxRequestBytes) {
      return { code: Code.REQUEST_PAYLOAD_TOO_LARGE, message: `Request payload too large: ${n} bytes, limit ${spec.maxRequestBytes} for ${spec.name}` };
    }
  }
  if (!fn) return builtin(Code.UNSUPPORTED_METHOD);
  let request: MessageShape<DescMessage>;
  let codec: CodecName;
  try {
    ({ message: request, codec } = decodeMessage(input, payload));
  } catch (e) {
    return { code: Code.MALFORMED_REQUEST, message: `request of ${spec.name} does not decode: ${errorText(e)}` };
  }
  if (payload === "") codec = spec.codec; // an empty request shows no form
  const context: StreamHandlerContext = {
    method: spec.name,
    callerIdentity: caller,
    requestId: id,
    responseTimeoutMs: Number.isFinite(firstMs) && firstMs > 0 ? firstMs : 0,
    codec,
    signal: ac.signal,
  };
  const limit = spec.maxResponseBytes > 0 ? spec.maxResponseBytes : DEFAULT_STREAM_MESSAGE_MAX;
  let it: AsyncIterator<unknown> | undefined;
  let done = false;
  try {
    const iterable = fn(request, context);
    if (iterable === null || typeof (iterable as AsyncIterable<unknown>)?.[Symbol.asyncIterator] !== "function") {
      throw new Error(`the implementation of ${spec.name} returned no AsyncIterable: write it as an async generator function (async function*)`);
    }
    it = iterable[Symbol.asyncIterator]();
    for (;;) {
      const r = await untilAborted(it.next(), ac.signal);
      if (r === ABORTED) return builtin(Code.APPLICATION_ERROR);
      if (r.done) {
        done = true;
        return { code: 0 };
      }
      let message: string;
      try {
        const m = isMessage(r.value, output) ? r.value : create(output, (r.value ?? {}) as MessageInitShape<DescMessage>);
        message = encodeMessage(output, m, codec);
      } catch (e) {
        throw new Error(`message does not encode: ${errorText(e)}`, { cause: e });
      }
      const n = utf8Length(message);
      if (n > limit) {
        return { code: Code.RESPONSE_PAYLOAD_TOO_LARGE, message: `Response payload too large: ${n} bytes, limit ${limit} for ${spec.name}` };
      }
      if (!(await out.message(message, ac))) return builtin(Code.APPLICATION_ERROR);
    }
  } catch (e) {
    done = true; // a generator that threw has finished
    if (ac.signal.aborted) return builtin(Code.APPLICATION_ERROR); // nobody listens
    return statusOf(e, served);
  } finally {
    // Stop the implementation when it has not finished (cancel, a cap): its
    // finally blocks run once its pending step settles.
    if (!done && it && typeof it.return === "function") {
      Promise.resolve()
        .then(() => it!.return!())
        .catch(() => {});
    }
  }
}

/** The status of a handler's failure, as the unary handler maps it. */
function statusOf(e: unknown, served: Served): FrameStatus {
  if (e instanceof LkrpcError) return { code: e.code, message: e.message, data: e.dataWith(served.registry) ?? "" };
  if (e instanceof served.options.RpcError) {
    const r = e as unknown as { code: number; message: string; data?: string | null };
    return { code: r.code, message: r.message, data: r.data ?? "" };
  }
  (served.options.onError ?? defaultOnError)(e, served.spec.name);
  return {
    code: Code.APPLICATION_ERROR,
    message: served.options.errorText ? errorText(e) : BUILTIN_MESSAGES[Code.APPLICATION_ERROR]!,
  };
}

function defaultOnError(e: unknown, method: string): void {
  console.error(`lkrpc: stream handler of ${method} failed:`, e);
}

function builtin(code: number, data?: string): FrameStatus {
  return { code, message: BUILTIN_MESSAGES[code] ?? "", ...(data ? { data } : {}) };
}

/** lkrpc.window: a missing or bad value is the default. */
function parseWindow(v: string | undefined): number {
  if (v === undefined || !/^[0-9]{1,15}$/.test(v)) return DEFAULT_STREAM_WINDOW;
  const n = Number(v);
  return n > 0 ? n : DEFAULT_STREAM_WINDOW;
}

const ABORTED = Symbol("aborted");

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.resolve(ABORTED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {});
      resolve(ABORTED);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** One reply stream: frames written within the caller's credit (§8.3). */
class ReplyWriter {
  private sent = 0; // frame bytes sent
  private consumed = 0; // the caller's last credit
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly writer: TextStreamWriter,
    private readonly window: number,
  ) {}

  credit(consumed: number): void {
    if (consumed > this.consumed) this.consumed = consumed;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /**
   * Sends one message frame once the credit allows; false when the call
   * ended first (cancelled, the caller gone, or the SDK failed to send,
   * which then aborts the call).
   */
  async message(payload: string, ac: AbortController): Promise<boolean> {
    const text = messageFrame(payload);
    const size = utf8Length(text);
    for (;;) {
      if (ac.signal.aborted) return false;
      const outstanding = this.sent - this.consumed;
      if (outstanding === 0 || outstanding + size <= this.window) break;
      const waited = await untilAborted(new Promise<void>((resolve) => (this.wake = resolve)), ac.signal);
      if (waited === ABORTED) return false;
    }
    this.sent += size;
    try {
      await this.writer.write(text);
    } catch (e) {
      ac.abort(e);
      return false;
    }
    return true;
  }

  /** Sends the end frame and closes the stream. */
  async end(status: FrameStatus): Promise<void> {
    try {
      await this.writer.write(endFrame(status));
    } catch {
      // the caller will time out or has gone
    }
    await this.close();
  }

  /** Closes the stream (without an end frame when called alone: the caller stopped listening). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.writer.close();
    } catch {
      // nothing to do
    }
  }
}
