// The caller's end of a server-streaming call (PROTOCOL.md §8): the request
// as one text stream, the reply read frame by frame as its chunks arrive,
// credit sent as the consumer reads, cancel when the caller stops. It
// mirrors Go's runtime/engine/stream_call.go.

import { type DescMessage, type MessageInitShape, type MessageShape, type Registry } from "@bufbuild/protobuf";
import { decodeMessage, errorText, utf8Length, type CodecName } from "./codec.js";
import { Code, LkrpcError } from "./errors.js";
import { DISCOVERY_ATTRIBUTE, parseServices } from "./discovery.js";
import { FrameReader, FrameTooLargeError, messageFrameSize, type Frame, type FrameStatus } from "./frame.js";
import { localParticipant, type RpcRoom, type TextStreamReader } from "./room.js";
import type { MethodSpec } from "./spec.js";
import { encodeRequest, tooLarge } from "./request.js";
import { RoomStreams, roomStreams } from "./streamroom.js";
import {
  ATTR_FIRST_MS,
  ATTR_ID,
  ATTR_METHOD,
  ATTR_VERSION,
  ATTR_WINDOW,
  DEFAULT_STREAM_MAX,
  DEFAULT_STREAM_MESSAGE_MAX,
  DEFAULT_STREAM_TIMEOUT_MS,
  DEFAULT_STREAM_WINDOW,
  OP_CANCEL,
  OP_CREDIT,
  PRESENCE_POLL_MS,
  STREAM_ACK_TIMEOUT_MS,
  STREAM_WIRE_VERSION,
  TOPIC_STREAM_REQUEST,
  newCallId,
} from "./streamwire.js";

/**
 * Options of one server-streaming call; they override the client's options
 * and the method's.
 */
export interface StreamCallOptions {
  /**
   * How long to wait for the first message, in milliseconds (else the
   * client's timeoutMs, else the method's timeout_ms, else 15 s).
   */
  timeoutMs?: number;
  /** How long to wait for each next message (default: the first-message timeout; 0 waits for ever). */
  idleTimeoutMs?: number;
  /** The credit granted to the handler, in bytes (default 1 MiB; PROTOCOL.md §8.3). */
  windowBytes?: number;
  /** The largest message accepted, in bytes (default: the method's max_response_bytes, else 4 MiB). */
  maxMessageBytes?: number;
  /** The most bytes of frames the whole reply may have (default 1 GiB). */
  maxStreamBytes?: number;
  /** Request codec (else the client's, else the method's codec option, else JSON). */
  codec?: CodecName;
  /** Ends the call: the iteration throws the signal's reason, and the handler is told to stop. */
  signal?: AbortSignal;
}

/** The client-level defaults a streaming call reads. */
export interface StreamClientDefaults {
  timeoutMs?: number;
  codec?: CodecName;
}

/**
 * callStream is one server-streaming call as an async generator: the
 * request goes out when iteration starts, each message is yielded decoded,
 * and the generator returns when the handler ends the reply successfully.
 * Every failure throws an LkrpcError (or the signal's reason); leaving the
 * loop early (break, return, throw) cancels the call.
 */
export async function* callStream(
  spec: MethodSpec,
  room: RpcRoom,
  destination: string,
  request: MessageInitShape<DescMessage>,
  defaults: StreamClientDefaults,
  options: StreamCallOptions,
  registry: Registry,
): AsyncGenerator<MessageShape<DescMessage>, void, undefined> {
  const { output } = spec.method;
  const codec = options.codec ?? defaults.codec ?? spec.codec;
  options.signal?.throwIfAborted();
  if (!RoomStreams.supported(room)) {
    throw new Error(
      `lkrpc: ${spec.name} streams its replies, which this room cannot carry: its SDK has no sendText, streamText or registerTextStreamHandler`,
    );
  }
  const payload = encodeRequest(spec, request, codec);
  checkServes(room, destination, spec.method.parent.typeName);

  const first = positive(options.timeoutMs) ?? positive(defaults.timeoutMs) ?? positive(spec.timeoutMs) ?? DEFAULT_STREAM_TIMEOUT_MS;
  const call = new StreamCall(roomStreams(room), destination, spec.name, {
    window: positive(options.windowBytes) ?? DEFAULT_STREAM_WINDOW,
    maxMessage: positive(options.maxMessageBytes) ?? positive(spec.maxResponseBytes) ?? DEFAULT_STREAM_MESSAGE_MAX,
    maxTotal: positive(options.maxStreamBytes) ?? DEFAULT_STREAM_MAX,
    first,
    idle: options.idleTimeoutMs === undefined ? first : Math.max(0, options.idleTimeoutMs),
    registry,
  });
  const signal = options.signal;
  const onAbort = () => call.fail(signal!.reason, true, true);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    call.start(payload);
    for (;;) {
      const next = await call.next();
      if (next === undefined) return;
      if (spec.maxResponseBytes > 0) {
        const n = utf8Length(next);
        if (n > spec.maxResponseBytes) {
          const err = tooLarge(Code.RESPONSE_PAYLOAD_TOO_LARGE, n, spec.maxResponseBytes, spec.name);
          call.fail(err, true, true);
          throw err;
        }
      }
      let message: MessageShape<DescMessage>;
      try {
        message = decodeMessage(output, next).message;
      } catch (e) {
        const err = new LkrpcError(Code.MALFORMED_RESPONSE, `message of ${spec.name} does not decode: ${errorText(e)}`, {
          cause: e,
        });
        call.fail(err, true, true);
        throw err;
      }
      yield message;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Left early (break, return, a throw in the loop's body): stop the handler.
    call.fail(new LkrpcError(Code.APPLICATION_ERROR, "stream closed by the caller"), true, true);
  }
}

/**
 * checkServes fails at once a call to a participant that advertises the
 * services it serves and not this one (§8.5).
 */
function checkServes(room: RpcRoom, destination: string, service: string): void {
  const attrs = room.remoteParticipants?.get?.(destination)?.attributes;
  const value = attrs?.[DISCOVERY_ATTRIBUTE];
  if (value === undefined || parseServices(value).includes(service)) return;
  throw new LkrpcError(Code.UNSUPPORTED_METHOD, undefined, {
    data: `participant ${destination} does not serve ${service}: it advertises ${JSON.stringify(value)}`,
  });
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

/** A duration as Go's time.Duration prints it (the Go caller's error data says "within 15s", "1.5s", "200ms"). */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3600000);
  const m = Math.floor((ms % 3600000) / 60000);
  const s = (ms % 60000) / 1000;
  return (h > 0 ? `${h}h` : "") + (h > 0 || m > 0 ? `${m}m` : "") + `${s}s`;
}

interface CallLimits {
  window: number;
  maxMessage: number;
  maxTotal: number;
  first: number;
  idle: number;
  registry: Registry;
}

/** The state of one streaming call; the reply reader feeds it, the generator drains it. */
class StreamCall {
  readonly id = newCallId();
  private readonly reader: FrameReader;
  private queue: { payload: string; size: number }[] = [];
  private ended: { error: unknown } | undefined; // error undefined: the handler ended the reply successfully
  private handled = false; // the handler has ended the reply (no cancel needed)
  private acked = false;
  private consumed = 0;
  private credited = 0;
  private received = 0;
  private wake: (() => void) | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private waitTimer: ReturnType<typeof setTimeout> | undefined;
  private presence: ReturnType<typeof setInterval> | undefined;
  private stopReply: (() => void) | undefined;

  constructor(
    private readonly streams: RoomStreams,
    private readonly dest: string,
    private readonly method: string,
    private readonly limits: CallLimits,
  ) {
    this.reader = new FrameReader(messageFrameSize(limits.maxMessage));
  }

  /** Sends the request; timers run from here. */
  start(payload: string): void {
    const room = this.streams.room;
    this.stopReply = this.streams.expectReply(this.id, this.dest, (r) => this.onReply(r));
    this.ackTimer = setTimeout(() => this.fail(this.noAck(), true, false), STREAM_ACK_TIMEOUT_MS);
    this.armWait(this.limits.first);
    // Leaving: a destination the room announced and no longer has left (1503).
    let seen = room.remoteParticipants?.has(this.dest) ?? false;
    this.presence = setInterval(() => {
      const here = room.remoteParticipants?.has(this.dest) ?? true;
      if (here) seen = true;
      else if (seen) this.fail(new LkrpcError(Code.RECIPIENT_DISCONNECTED), false, false);
    }, PRESENCE_POLL_MS);
    Promise.resolve()
      .then(() =>
        localParticipant(room).sendText!(payload, {
          topic: TOPIC_STREAM_REQUEST,
          destinationIdentities: [this.dest],
          attributes: {
            [ATTR_ID]: this.id,
            [ATTR_METHOD]: this.method,
            [ATTR_VERSION]: STREAM_WIRE_VERSION,
            [ATTR_WINDOW]: String(this.limits.window),
            [ATTR_FIRST_MS]: String(Math.round(this.limits.first)),
          },
        }),
      )
      .catch((e: unknown) => {
        this.fail(new LkrpcError(Code.SEND_FAILED, "failed to send request: " + errorText(e), { cause: e }), false, false);
      });
  }

  /** The next message's payload, undefined at the successful end; throws the call's failure. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const f = this.queue.shift();
      if (f) {
        this.consumed += f.size;
        if (this.queue.length === 0) this.armWait(this.limits.idle);
        if (this.ended === undefined && this.consumed - this.credited >= this.limits.window / 2) {
          this.credited = this.consumed;
          this.streams.sendControl(this.dest, this.id, OP_CREDIT, this.consumed);
        }
        return f.payload;
      }
      if (this.ended) {
        if (this.ended.error === undefined) return undefined;
        throw this.ended.error;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /**
   * Ends the call with error unless it has ended: tell sends cancel (unless
   * the handler ended the reply), drop forgets what was not read yet.
   */
  fail(error: unknown, tell: boolean, drop: boolean): void {
    if (this.ended) return;
    this.ended = { error };
    if (drop) this.queue = [];
    this.finish(tell && !this.handled);
  }

  private succeed(st: FrameStatus): void {
    this.handled = true;
    if (this.ended) return;
    this.ended = {
      error:
        st.code === 0
          ? undefined
          : new LkrpcError(st.code, st.message ?? "", { data: st.data || undefined, registry: this.limits.registry }),
    };
    this.finish(false);
  }

  private finish(tell: boolean): void {
    clearTimeout(this.ackTimer);
    clearTimeout(this.waitTimer);
    clearInterval(this.presence);
    this.stopReply?.();
    if (tell) this.streams.sendControl(this.dest, this.id, OP_CANCEL);
    this.ring();
  }

  private ring(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** (Re)starts the wait for the next frame; 0 waits for ever. */
  private armWait(ms: number): void {
    clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    if (this.ended || ms <= 0) return;
    this.waitTimer = setTimeout(
      () => this.fail(new LkrpcError(Code.RESPONSE_TIMEOUT, undefined, { data: `no message within ${goDuration(ms)}` }), true, false),
      ms,
    );
  }

  private noAck(): LkrpcError {
    const within = goDuration(STREAM_ACK_TIMEOUT_MS);
    if (this.streams.room.remoteParticipants && !this.streams.room.remoteParticipants.has(this.dest)) {
      return new LkrpcError(Code.RECIPIENT_NOT_FOUND, undefined, {
        data: `participant ${this.dest} is not in the room: the room did not announce it within ${within}`,
      });
    }
    return new LkrpcError(Code.CONNECTION_TIMEOUT, undefined, {
      data: `no lkrpc stream handler acknowledged within ${within}: ${this.dest} may be a LiveKit SDK peer without lkrpc`,
    });
  }

  /** The reply stream opened: the handler's acknowledgement. Reads it to its end. */
  private onReply(reader: TextStreamReader): void {
    if (this.acked) return; // a second reply for one call: the first one counts
    this.acked = true;
    clearTimeout(this.ackTimer);
    const it = reader[Symbol.asyncIterator]();
    void (async () => {
      try {
        for (;;) {
          const r = await it.next();
          if (r.done) break;
          if (!this.ended) this.onContent(r.value);
        }
      } catch (e) {
        const gone = this.streams.room.remoteParticipants?.has(this.dest) === false;
        this.fail(gone ? new LkrpcError(Code.RECIPIENT_DISCONNECTED) : malformed("the reply was aborted: " + errorText(e), false), false, false);
        return;
      }
      this.fail(malformed("the reply ended without a status", false), false, false);
    })();
  }

  private onContent(text: string): void {
    const { frames, error: err } = this.reader.write(text);
    for (const f of frames) if (!this.onFrame(f)) return;
    if (err === undefined) return;
    if (err instanceof FrameTooLargeError) {
      this.fail(
        new LkrpcError(Code.RESPONSE_PAYLOAD_TOO_LARGE, undefined, {
          data: `a message of ${this.method} is over the limit of ${this.limits.maxMessage} bytes`,
        }),
        true,
        false,
      );
      return;
    }
    this.fail(malformed(errorText(err)), true, false);
  }

  /** Takes one frame; reports whether the call goes on. */
  private onFrame(f: Frame): boolean {
    if (f.kind === "e") {
      this.succeed(f.status);
      return false;
    }
    if (this.ended) return false;
    const outstanding = this.received - this.consumed;
    this.received += f.size;
    if (this.received > this.limits.maxTotal) {
      this.fail(
        new LkrpcError(Code.RESPONSE_PAYLOAD_TOO_LARGE, undefined, {
          data: `the reply of ${this.method} is over the limit of ${this.limits.maxTotal} bytes`,
        }),
        true,
        false,
      );
      return false;
    }
    if (outstanding > 0 && outstanding + f.size > this.limits.window) {
      this.fail(
        new LkrpcError(Code.APPLICATION_ERROR, undefined, {
          data: `the handler sent past its credit (window ${this.limits.window} bytes)`,
        }),
        true,
        false,
      );
      return false;
    }
    this.queue.push({ payload: f.payload, size: f.size });
    clearTimeout(this.waitTimer); // the reader has something to read
    this.waitTimer = undefined;
    this.ring();
    return true;
  }
}

/** How a call ends on a reply that breaks §8.1 (1500, data saying which). */
function malformed(why: string, prefix = true): LkrpcError {
  return new LkrpcError(Code.APPLICATION_ERROR, undefined, { data: prefix ? "malformed reply: " + why : why });
}
