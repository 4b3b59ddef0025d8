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
}

/**
 * A connected room: livekit-client's `Room` (which registers handlers on
 * the room itself) or @livekit/rtc-node's `Room` (on its local
 * participant).
 */
export interface RpcRoom {
  readonly localParticipant?: RpcLocalParticipant | undefined;
  registerRpcMethod?(method: string, handler: RpcMethodHandler): void;
  unregisterRpcMethod?(method: string): void;
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
