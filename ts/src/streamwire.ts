// The wire of lkrpc's server streaming (PROTOCOL.md §8), as Go's
// runtime/engine/stream_wire.go names it: lkrpc's own topics, never under
// lk., and attributes under lkrpc.

export const TOPIC_STREAM_REQUEST = "lkrpc.stream.request";
export const TOPIC_STREAM_REPLY = "lkrpc.stream.reply";
export const TOPIC_STREAM_CONTROL = "lkrpc.stream.control";

export const ATTR_ID = "lkrpc.id";
export const ATTR_METHOD = "lkrpc.method";
export const ATTR_VERSION = "lkrpc.v";
export const ATTR_WINDOW = "lkrpc.window";
export const ATTR_FIRST_MS = "lkrpc.first_ms";
export const ATTR_OP = "lkrpc.op";
export const ATTR_CONSUMED = "lkrpc.consumed";

/** The version of the streaming wire this package speaks. */
export const STREAM_WIRE_VERSION = "1";
export const OP_CREDIT = "credit";
export const OP_CANCEL = "cancel";

/** The credit a caller grants at the start, in bytes (§8.3). */
export const DEFAULT_STREAM_WINDOW = 1 << 20;
/** One reply message, when the method sets no max_response_bytes (§8.4). */
export const DEFAULT_STREAM_MESSAGE_MAX = 4 << 20;
/** All of a reply's frames (§8.4). */
export const DEFAULT_STREAM_MAX = 1 << 30;
/** Streaming calls one caller may have running at a handler (§8.4). */
export const MAX_STREAMS_PER_CALLER = 64;
/** How long a caller waits for the reply's header, the acknowledgement (§8.2). */
export const STREAM_ACK_TIMEOUT_MS = 7000;
/** The first-message timeout when neither the call nor the method sets one (§8.2). */
export const DEFAULT_STREAM_TIMEOUT_MS = 15000;
/** How often a streaming call looks whether the other side is still in the room. */
export const PRESENCE_POLL_MS = 100;

/** A call id: a random UUID (version 4). */
export function newCallId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
