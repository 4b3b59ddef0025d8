// The rooms lkrpc rides on, typed by structure so that neither SDK is a
// dependency: livekit-client's Room (browser) and @livekit/rtc-node's Room
// (Node) both fit.

/** What a handler receives from the SDK for one incoming call. */
export interface RpcInvocation {
  requestId: string;
  callerIdentity: string;
  payload: string;
  /** The caller's response timeout in milliseconds (advisory). */
  responseTimeout: number;
}

/** The handler function the SDKs register. */
export type RpcMethodHandler = (data: RpcInvocation) => Promise<string>;

/** The parameters of the SDKs' performRpc. */
export interface PerformRpcParams {
  destinationIdentity: string;
  method: string;
  payload: string;
  responseTimeout?: number;
}

/** The local participant's RPC surface (livekit-client and rtc-node alike). */
export interface RpcLocalParticipant {
  performRpc(params: PerformRpcParams): Promise<string>;
  registerRpcMethod?(method: string, handler: RpcMethodHandler): void;
  unregisterRpcMethod?(method: string): void;
  /**
   * Merges attributes into the participant's own (a key set to "" is
   * deleted); the discovery attribute is published with it.
   */
  setAttributes?(attributes: Record<string, string>): Promise<void>;
  /** Sends a whole text stream (server streaming: requests and control messages). */
  sendText?(text: string, options: TextStreamOptions): Promise<unknown>;
  /** Opens a text stream written piece by piece (server streaming: replies). */
  streamText?(options: TextStreamOptions): Promise<TextStreamWriter>;
}

/** The options lkrpc gives sendText and streamText (both SDKs take them). */
export interface TextStreamOptions {
  topic: string;
  destinationIdentities: string[];
  attributes: Record<string, string>;
}

/** An open outgoing text stream (the SDKs' TextStreamWriter). */
export interface TextStreamWriter {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An incoming text stream (the SDKs' TextStreamReader): its header's
 * attributes, and its content as strings as chunks arrive.
 */
export interface TextStreamReader {
  readonly info: { readonly topic: string; readonly attributes?: Record<string, string> | undefined };
  [Symbol.asyncIterator](): {
    next(): Promise<IteratorResult<string>>;
    return?(): Promise<IteratorResult<string>>;
  };
}

/** The SDKs' callback for incoming text streams of one topic. */
export type TextStreamHandler = (reader: TextStreamReader, participantInfo: { identity: string }) => void;

/**
 * A connected room: livekit-client's `Room` (which registers handlers on
 * the room itself) or @livekit/rtc-node's `Room` (on its local
 * participant).
 */
export interface RpcRoom {
  readonly localParticipant?: RpcLocalParticipant | undefined;
  /**
   * The participants the room has announced, by identity (both SDKs keep
   * a Map). lkrpc asks whether a destination is there yet, and reads its
   * attributes.
   */
  readonly remoteParticipants?: {
    has(identity: string): boolean;
    /** A participant's attributes, where the discovery attribute is read (serves). */
    get?(identity: string): { readonly attributes?: Readonly<Record<string, string>> } | undefined;
  };
  registerRpcMethod?(method: string, handler: RpcMethodHandler): void;
  unregisterRpcMethod?(method: string): void;
  /** One handler per topic per room, in both SDKs (server streaming). */
  registerTextStreamHandler?(topic: string, callback: TextStreamHandler): void;
  unregisterTextStreamHandler?(topic: string): void;
}

/**
 * The SDK's RpcError class (`import { RpcError } from "livekit-client"` or
 * `"@livekit/rtc-node"`): the SDKs send a handler's error with its code,
 * message and data only when it is an instance of their own class.
 */
export type RpcErrorClass = new (code: number, message: string, data?: string) => Error;

export function localParticipant(room: RpcRoom): RpcLocalParticipant {
  const lp = room.localParticipant;
  if (!lp) throw new Error("lkrpc: the room has no local participant: connect it first");
  return lp;
}

/** The largest payload an RPC v1 packet carries (bytes, UTF-8). */
export const MAX_PACKET_PAYLOAD = 15360;

/** How long a call waits for its destination at most: the SDKs' ack timeout. */
export const ANNOUNCE_WAIT_MS = 7000;

/** How often awaitParticipant looks again. */
const ANNOUNCE_POLL_MS = 50;

/**
 * awaitParticipant resolves true once the room has announced identity, or
 * false after withinMs; an aborted signal rejects with its reason.
 *
 * The join window: a server announces a participant that publishes no
 * media up to ~3 s after it joined, and until then both SDKs treat it as
 * speaking RPC v1 only, so a payload over 15360 bytes fails at once
 * (1402). lkrpc's Go runtime waits for the announcement; this does the
 * same for the SDKs' callers. It polls the room's participant map rather
 * than subscribing to its events, whose typings the two SDKs spell
 * differently; a look every 50 ms adds at most that to a wait of seconds.
 */
export async function awaitParticipant(
  room: RpcRoom,
  identity: string,
  withinMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const known = () => room.remoteParticipants?.has(identity) ?? true; // a room without the map: nothing to wait for
  const deadline = Date.now() + withinMs;
  while (!known()) {
    signal?.throwIfAborted();
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(ANNOUNCE_POLL_MS, left)));
  }
  return true;
}

/** The SDK's registration functions: the room's when it has them (livekit-client), else the local participant's. */
export function registrar(room: RpcRoom): {
  register: (method: string, handler: RpcMethodHandler) => void;
  unregister: (method: string) => void;
} {
  if (typeof room.registerRpcMethod === "function" && typeof room.unregisterRpcMethod === "function") {
    return {
      register: (m, h) => room.registerRpcMethod!(m, h),
      unregister: (m) => room.unregisterRpcMethod!(m),
    };
  }
  const lp = localParticipant(room);
  if (typeof lp.registerRpcMethod !== "function" || typeof lp.unregisterRpcMethod !== "function") {
    throw new Error("lkrpc: the room offers no registerRpcMethod/unregisterRpcMethod");
  }
  return {
    register: (m, h) => lp.registerRpcMethod!(m, h),
    unregister: (m) => lp.unregisterRpcMethod!(m),
  };
}
