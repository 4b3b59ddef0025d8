// One room's server-streaming topics. An SDK takes one text stream handler
// per topic per room, so each of lkrpc's three topics gets one dispatcher,
// registered the first time something on the room needs it and kept for
// the room's life, shared by every client and handler on it: replies by
// call id, requests by method, control messages by (caller, call id).

import { errorText } from "./codec.js";
import { localParticipant, type RpcRoom, type TextStreamReader } from "./room.js";
import {
  ATTR_CONSUMED,
  ATTR_ID,
  ATTR_OP,
  OP_CANCEL,
  OP_CREDIT,
  TOPIC_STREAM_CONTROL,
  TOPIC_STREAM_REPLY,
  TOPIC_STREAM_REQUEST,
} from "./streamwire.js";

/** Receives the reply stream of one call (its header is the acknowledgement). */
export type ReplyReceiver = (reader: TextStreamReader) => void;
/** Serves one streaming request (any method: the receiver answers 1400 for unknown ones). */
export type RequestReceiver = (reader: TextStreamReader, caller: string) => void;
/** A caller's control message for a call being served. */
export type ControlReceiver = (op: "credit" | "cancel", consumed: number) => void;

/** What one room's dispatchers route to. */
export class RoomStreams {
  private readonly replies = new Map<string, { from: string; receive: ReplyReceiver }>();
  private readonly controls = new Map<string, ControlReceiver>();
  private requests: RequestReceiver | undefined;
  private readonly registered = new Set<string>();

  constructor(readonly room: RpcRoom) {}

  /** Whether the room's SDK has text streams (registerTextStreamHandler, sendText, streamText). */
  static supported(room: RpcRoom): boolean {
    const lp = room.localParticipant;
    return (
      typeof room.registerTextStreamHandler === "function" &&
      typeof lp?.sendText === "function" &&
      typeof lp?.streamText === "function"
    );
  }

  /** Routes the reply stream of call id from participant from to receive, until the returned function is called. */
  expectReply(id: string, from: string, receive: ReplyReceiver): () => void {
    this.listen(TOPIC_STREAM_REPLY, (reader, { identity }) => this.onReply(reader, identity));
    this.replies.set(id, { from, receive });
    return () => {
      if (this.replies.get(id)?.receive === receive) this.replies.delete(id);
    };
  }

  /** Routes the control messages of call id from caller to receive, until the returned function is called. */
  expectControl(caller: string, id: string, receive: ControlReceiver): () => void {
    this.listen(TOPIC_STREAM_CONTROL, (reader, { identity }) => this.onControl(reader, identity));
    const key = caller + "\n" + id;
    this.controls.set(key, receive);
    return () => {
      if (this.controls.get(key) === receive) this.controls.delete(key);
    };
  }

  /** Whether a call from caller with id is being served. */
  serving(caller: string, id: string): boolean {
    return this.controls.has(caller + "\n" + id);
  }

  /** Starts taking streaming requests (once per room). */
  serveRequests(receive: RequestReceiver): void {
    this.requests ??= receive;
    this.listen(TOPIC_STREAM_REQUEST, (reader, { identity }) => this.requests!(reader, identity));
    this.listen(TOPIC_STREAM_CONTROL, (reader, { identity }) => this.onControl(reader, identity));
  }

  /** Sends a control message in the background (errors are dropped: the call has its own timers). */
  sendControl(to: string, id: string, op: "credit" | "cancel", consumed = 0): void {
    const attributes: Record<string, string> = { [ATTR_ID]: id, [ATTR_OP]: op };
    if (op === OP_CREDIT) attributes[ATTR_CONSUMED] = String(consumed);
    Promise.resolve()
      .then(() => localParticipant(this.room).sendText!("", { topic: TOPIC_STREAM_CONTROL, destinationIdentities: [to], attributes }))
      .catch(() => {});
  }

  private listen(topic: string, handler: (reader: TextStreamReader, p: { identity: string }) => void): void {
    if (this.registered.has(topic)) return;
    if (typeof this.room.registerTextStreamHandler !== "function") {
      throw new Error("lkrpc: the room offers no registerTextStreamHandler: its SDK cannot carry server streaming");
    }
    try {
      this.room.registerTextStreamHandler(topic, handler);
    } catch (e) {
      throw new Error(`lkrpc: cannot take text streams of topic ${topic}: ${errorText(e)}`, { cause: e });
    }
    this.registered.add(topic);
  }

  private onReply(reader: TextStreamReader, sender: string): void {
    const id = reader.info.attributes?.[ATTR_ID] ?? "";
    const r = this.replies.get(id);
    if (!r || r.from !== sender) {
      // A reply to a call that has ended (or never was): tell the handler
      // to stop rather than let it stream to nobody.
      discard(reader);
      if (id !== "") this.sendControl(sender, id, OP_CANCEL);
      return;
    }
    r.receive(reader);
  }

  private onControl(reader: TextStreamReader, sender: string): void {
    const attrs = reader.info.attributes ?? {};
    discard(reader); // control messages are empty
    const receive = this.controls.get(sender + "\n" + (attrs[ATTR_ID] ?? ""));
    if (!receive) return; // ended already
    const op = attrs[ATTR_OP];
    if (op === OP_CANCEL) receive("cancel", 0);
    else if (op === OP_CREDIT) {
      const v = attrs[ATTR_CONSUMED] ?? "";
      if (!/^[0-9]{1,16}$/.test(v)) return;
      receive("credit", Number(v));
    }
  }
}

const rooms = new WeakMap<RpcRoom, RoomStreams>();

/** The streaming dispatchers of room. */
export function roomStreams(room: RpcRoom): RoomStreams {
  let s = rooms.get(room);
  if (!s) {
    s = new RoomStreams(room);
    rooms.set(room, s);
  }
  return s;
}

/** Reads a stream to its end and drops its content (an SDK reader left unread holds resources). */
export function discard(reader: TextStreamReader): void {
  const it = reader[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) if ((await it.next()).done) return;
    } catch {
      // nothing to do
    }
  })();
}
