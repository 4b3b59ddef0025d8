// An in-process stand-in for the SDKs' RPC surface: performRpc on one fake
// room runs the handler registered on another, with an RpcError class that
// behaves as livekit-client's and rtc-node's do (only its own instances
// carry a code; anything else becomes 1500).
import type { PerformRpcParams, RpcMethodHandler, RpcRoom } from "../src/index.js";

export class FakeRpcError extends Error {
  constructor(
    public code: number,
    message: string,
    public data?: string,
  ) {
    super(message);
  }
}

export class FakeNetwork {
  rooms = new Map<string, FakeRoom>();
  /** Identities the others have not been told about yet (the join window). */
  unannounced = new Set<string>();
  join(identity: string): FakeRoom {
    const r = new FakeRoom(this, identity);
    this.rooms.set(identity, r);
    return r;
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

  get localParticipant() {
    return {
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
