// An in-process stand-in for the SDKs' RPC surface: performRpc on one fake
// room runs the handler registered on another, with an RpcError class that
// behaves as livekit-client's and rtc-node's do (only its own instances
// carry a code; anything else becomes 1500).
import type {
  PerformRpcParams,
  RpcMethodHandler,
  RpcRoom,
  TextStreamHandler,
  TextStreamOptions,
  TextStreamReader,
  TextStreamWriter,
} from "../src/index.js";

export class FakeRpcError extends Error {
  constructor(
    public code: number,
    message: string,
    public data?: string,
  ) {
    super(message);
  }
}

/** A text stream as the network carried it, for assertions. */
export interface SentStream {
  from: string;
  to: string;
  topic: string;
  attributes: Record<string, string>;
  /** The content so far. */
  text: string;
  closed: boolean;
}

/** A small deterministic random source (xorshift32), so that a failing cut can be replayed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export class FakeNetwork {
  rooms = new Map<string, FakeRoom>();
  /** Identities the others have not been told about yet (the join window). */
  unannounced = new Set<string>();
  /** Every text stream sent, in order of opening. */
  streams: SentStream[] = [];
  /** Cuts each piece of stream content into the chunks a receiver sees (default: at random places). */
  cut: (text: string) => string[];
  /** Delay of each chunk's delivery in ms (0: the next macrotask). */
  latencyMs = 0;
  private open = new Set<FakeStream>();

  constructor(seed = 1) {
    const random = rng(seed);
    this.cut = (text) => cutRandomly(text, random);
  }

  join(identity: string): FakeRoom {
    const r = new FakeRoom(this, identity);
    this.rooms.set(identity, r);
    return r;
  }

  /** identity leaves: the others stop seeing it, and the streams it was sending end abnormally. */
  leave(identity: string): void {
    this.rooms.delete(identity);
    for (const st of [...this.open]) {
      if (st.sent.from === identity || st.sent.to === identity) {
        this.open.delete(st);
        if (st.sent.from === identity) st.error(new Error(`Participant ${identity} unexpectedly disconnected in the middle of sending data`));
      }
    }
  }

  /** The streams sent on topic (optionally only those with attribute op). */
  sent(topic: string, op?: string): SentStream[] {
    return this.streams.filter((s) => s.topic === topic && (op === undefined || s.attributes["lkrpc.op"] === op));
  }

  /** Opens a stream from one participant to another, delivering its header now. */
  openStream(from: string, opts: TextStreamOptions): FakeStream {
    const to = opts.destinationIdentities[0] ?? "";
    const sent: SentStream = { from, to, topic: opts.topic, attributes: { ...opts.attributes }, text: "", closed: false };
    this.streams.push(sent);
    const st = new FakeStream(this, sent);
    const dest = this.rooms.get(to);
    const handler = dest?.textHandlers.get(opts.topic);
    if (handler) {
      this.open.add(st);
      handler(st.reader, { identity: from });
    } else {
      st.dropped = true;
    }
    return st;
  }

  ended(st: FakeStream): void {
    this.open.delete(st);
  }
}

/** Cuts text into 1 to 4 pieces at random code point boundaries. */
function cutRandomly(text: string, random: () => number): string[] {
  const cps = [...text];
  if (cps.length < 2) return [text];
  const cuts = new Set<number>();
  const n = Math.floor(random() * 4);
  for (let i = 0; i < n; i++) cuts.add(1 + Math.floor(random() * (cps.length - 1)));
  const at = [...cuts].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(cps.slice(prev, c).join(""));
    prev = c;
  }
  out.push(cps.slice(prev).join(""));
  return out;
}

/** One text stream in flight: the sender's writer and the receiver's reader. */
export class FakeStream {
  dropped = false;
  private chunks: string[] = [];
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Promise chain that keeps deliveries in order. */
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private net: FakeNetwork,
    readonly sent: SentStream,
  ) {}

  /** The writer the sender holds. */
  get writer(): TextStreamWriter & { abort(reason: string): Promise<void> } {
    return {
      write: (text: string) => this.write(text),
      close: () => this.close(),
      abort: async (reason: string) => {
        this.enqueue(() => this.error(new Error(`Data stream closed abnormally: ${reason}`)));
        await this.delivery;
      },
    };
  }

  async write(text: string): Promise<void> {
    if (this.sent.closed) throw new Error("stream closed");
    this.sent.text += text;
    for (const piece of this.net.cut(text)) this.enqueue(() => this.push(piece));
    await this.delivery;
  }

  async close(): Promise<void> {
    if (this.sent.closed) return;
    this.sent.closed = true;
    this.enqueue(() => this.end());
    await this.delivery;
  }

  private enqueue(fn: () => void): void {
    const ms = this.net.latencyMs;
    this.delivery = this.delivery.then(() => new Promise<void>((resolve) => setTimeout(() => (fn(), resolve()), ms)));
  }

  private push(piece: string): void {
    if (this.done || this.dropped) return;
    this.chunks.push(piece);
    this.ring();
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.net.ended(this);
    this.ring();
  }

  error(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.failure = e;
    this.net.ended(this);
    this.ring();
  }

  private ring(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** The reader the receiver's handler gets. */
  get reader(): TextStreamReader {
    const info = { topic: this.sent.topic, attributes: { ...this.sent.attributes } };
    return {
      info,
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<string>> => {
          for (;;) {
            const c = this.chunks.shift();
            if (c !== undefined) return { done: false, value: c };
            if (this.failure) throw this.failure;
            if (this.done) return { done: true, value: undefined };
            await new Promise<void>((resolve) => (this.wake = resolve));
          }
        },
        return: async (): Promise<IteratorResult<string>> => {
          this.chunks = [];
          this.dropped = true;
          return { done: true, value: undefined };
        },
      }),
    };
  }
}

export class FakeRoom implements RpcRoom {
  handlers = new Map<string, RpcMethodHandler>();
  calls: PerformRpcParams[] = [];
  /** Make the nth registration (0-based) throw. */
  failRegistrationAt = -1;
  registrations = 0;
  /** When set, performRpc answers this instead of routing. */
  answer?: (p: PerformRpcParams) => Promise<string>;
  /** The participant's attributes, as the others see them. */
  attributes: Record<string, string> = {};
  /** Every setAttributes call, in order. */
  attributeUpdates: Record<string, string>[] = [];
  /** When set, setAttributes rejects with this error, as a room refuses a token without canUpdateOwnMetadata. */
  refuseAttributes?: Error;
  /** Text stream handlers by topic (one per topic, as in both SDKs). */
  textHandlers = new Map<string, TextStreamHandler>();
  /** False: the room has no text streams (an SDK without them). */
  textStreams = true;

  constructor(
    private net: FakeNetwork,
    public identity: string,
  ) {}

  /** The participants announced to this room: every other one not in net.unannounced. */
  get remoteParticipants() {
    const announced = (id: string) => id !== this.identity && this.net.rooms.has(id) && !this.net.unannounced.has(id);
    return {
      has: announced,
      get: (id: string) => (announced(id) ? { attributes: { ...this.net.rooms.get(id)!.attributes } } : undefined),
    };
  }

  registerRpcMethod(method: string, handler: RpcMethodHandler): void {
    if (this.registrations++ === this.failRegistrationAt) throw new Error("registration refused");
    if (this.handlers.has(method)) throw new Error(`RPC handler already registered for method ${method}`);
    this.handlers.set(method, handler);
  }

  unregisterRpcMethod(method: string): void {
    this.handlers.delete(method);
  }

  get registerTextStreamHandler() {
    if (!this.textStreams) return undefined;
    return (topic: string, handler: TextStreamHandler): void => {
      if (this.textHandlers.has(topic)) throw new Error(`A text stream handler for topic "${topic}" has already been set.`);
      this.textHandlers.set(topic, handler);
    };
  }

  unregisterTextStreamHandler(topic: string): void {
    this.textHandlers.delete(topic);
  }

  get localParticipant() {
    const net = this.net;
    const me = this.identity;
    return {
      sendText: this.textStreams
        ? async (text: string, opts: TextStreamOptions): Promise<unknown> => {
            if (!net.rooms.has(me)) throw new Error("not connected");
            const st = net.openStream(me, opts);
            await st.write(text);
            await st.close();
            return { id: "stream" };
          }
        : undefined,
      streamText: this.textStreams
        ? async (opts: TextStreamOptions): Promise<TextStreamWriter> => {
            if (!net.rooms.has(me)) throw new Error("not connected");
            return net.openStream(me, opts).writer;
          }
        : undefined,
      setAttributes: async (attrs: Record<string, string>): Promise<void> => {
        this.attributeUpdates.push({ ...attrs });
        await Promise.resolve(); // answered later, as by a server
        if (this.refuseAttributes) throw this.refuseAttributes;
        for (const [k, v] of Object.entries(attrs)) {
          if (v === "") delete this.attributes[k];
          else this.attributes[k] = v;
        }
      },
      performRpc: async (p: PerformRpcParams): Promise<string> => {
        this.calls.push(p);
        if (this.answer) return this.answer(p);
        const dest = this.net.rooms.get(p.destinationIdentity);
        if (!dest) throw new FakeRpcError(1401, "Recipient not found");
        const h = dest.handlers.get(p.method);
        if (!h) throw new FakeRpcError(1400, "Method not supported at destination");
        try {
          return await h({
            requestId: "req-" + this.calls.length,
            callerIdentity: this.identity,
            payload: p.payload,
            responseTimeout: p.responseTimeout ?? 15000,
          });
        } catch (e) {
          if (e instanceof FakeRpcError) throw new FakeRpcError(e.code, e.message, e.data);
          throw new FakeRpcError(1500, "Application error in method handler");
        }
      },
    };
  }
}
