// Typed clients: one async function per method of a protoc-gen-es service
// descriptor, each a LiveKit RPC through the SDK's own performRpc.

import {
  type DescMessage,
  type DescService,
  type MessageInitShape,
  type MessageShape,
  type Registry,
} from "@bufbuild/protobuf";
import { decodeMessage, errorText, utf8Length, type CodecName } from "./codec.js";
import { Code, LkrpcError } from "./errors.js";
import { serviceRegistry } from "./registry.js";
import { encodeRequest, tooLarge } from "./request.js";
import { ANNOUNCE_WAIT_MS, MAX_PACKET_PAYLOAD, awaitParticipant, localParticipant, type RpcRoom } from "./room.js";
import { serviceSpecs, type MethodSpec } from "./spec.js";
import { callStream, type StreamCallOptions } from "./stream_client.js";

/** Options of one call; they override the client's options and the method's. */
export interface CallOptions {
  /** Response timeout in milliseconds (else the client's, else the method's timeout_ms, else the SDK's default). */
  timeoutMs?: number;
  /** Request codec (else the client's, else the method's codec option, else JSON). */
  codec?: CodecName;
  /**
   * Ends the wait: the call rejects with the signal's reason. (The SDKs
   * cannot withdraw a request already sent; its reply is then ignored.)
   */
  signal?: AbortSignal;
  /**
   * Reports the call's phases as they happen, for honest progress: the
   * SDKs report no transfer progress for RPC, so there are no percentages,
   * only what lkrpc knows: the request encoded (its size), handed to the
   * SDK (which sends it and waits for the reply), the reply received (its
   * size) and decoded.
   */
  onPhase?: (phase: CallPhase) => void;
}

/** A phase of a call, reported to CallOptions.onPhase. */
export type CallPhase =
  | { phase: "encoded"; method: string; codec: CodecName; requestBytes: number }
  | { phase: "sent"; method: string }
  | { phase: "received"; method: string; responseBytes: number }
  | { phase: "decoded"; method: string };

/** Options of a client: defaults for its calls, and types for error details. */
export interface ClientOptions {
  timeoutMs?: number;
  codec?: CodecName;
  /** Types error details may have besides those of the service's file and its imports. */
  registry?: Registry;
}

type ClientMethod<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (request: MessageInitShape<I>, options?: StreamCallOptions) => AsyncIterable<MessageShape<O>>
    : never;

/**
 * Client<S> has one method per RPC of service S, named as protoc-gen-es
 * names them (lowerCamelCase): `client.getStatus({})` resolves to the
 * reply; a server-streaming method (`returns (stream …)`) returns an
 * AsyncIterable of its messages: `for await (const chunk of
 * client.answer({…}))`.
 */
export type Client<S extends DescService> = {
  [K in keyof S["method"]]: ClientMethod<S["method"][K]>;
};

/**
 * createClient returns a typed client that calls service's methods on the
 * participant destination of room, through the SDK's performRpc (so the
 * SDK's RPC v1/v2, data streams and compression carry it).
 *
 * Wire names, codec, default timeout and size limits come from the
 * service's lkrpc options, with the same rules as the Go generator. Every
 * RPC failure rejects with an LkrpcError; a request that does not encode
 * rejects with a plain Error naming the method, and is not sent.
 *
 * A server-streaming method returns an AsyncIterable: the request goes out
 * (as lkrpc's own text streams, PROTOCOL.md §8) when iteration starts, each
 * message arrives decoded, failures throw LkrpcErrors from the loop, and
 * leaving the loop early or aborting options.signal cancels the call.
 */
export function createClient<S extends DescService>(
  service: S,
  room: RpcRoom,
  destination: string,
  options: ClientOptions = {},
): Client<S> {
  const registry = serviceRegistry(service, options.registry);
  const client: Record<string, unknown> = {};
  for (const spec of serviceSpecs(service)) {
    client[spec.method.localName] =
      spec.kind === "server_streaming"
        ? (request: MessageInitShape<DescMessage>, callOptions?: StreamCallOptions) =>
            callStream(spec, room, destination, request, options, callOptions ?? {}, registry)
        : (request: MessageInitShape<DescMessage>, callOptions?: CallOptions) =>
            call(spec, room, destination, request, options, callOptions ?? {}, registry);
  }
  return client as Client<S>;
}

async function call(
  spec: MethodSpec,
  room: RpcRoom,
  destination: string,
  request: MessageInitShape<DescMessage>,
  clientOptions: ClientOptions,
  callOptions: CallOptions,
  registry: Registry,
): Promise<unknown> {
  const { output } = spec.method;
  const codec = callOptions.codec ?? clientOptions.codec ?? spec.codec;
  const timeoutMs = callOptions.timeoutMs ?? clientOptions.timeoutMs ?? (spec.timeoutMs || undefined);
  callOptions.signal?.throwIfAborted();

  const payload = encodeRequest(spec, request, codec);
  const onPhase = callOptions.onPhase;
  const requestBytes = utf8Length(payload);
  onPhase?.({ phase: "encoded", method: spec.name, codec, requestBytes });

  // The join window: a payload too large for a v1 packet to a participant
  // the room has not announced yet would fail at once in the SDK (1402);
  // wait for the announcement first, within the ack timeout and the call's
  // own timeout, as lkrpc's Go runtime does. Smaller payloads go at once.
  if (requestBytes > MAX_PACKET_PAYLOAD) {
    const within = Math.min(ANNOUNCE_WAIT_MS, timeoutMs ?? ANNOUNCE_WAIT_MS);
    if (!(await awaitParticipant(room, destination, within, callOptions.signal))) {
      throw new LkrpcError(Code.RECIPIENT_NOT_FOUND, undefined, {
        data: `participant ${destination} is not in the room: the room did not announce it within ${within} ms`,
      });
    }
  }

  let reply: string;
  try {
    const pending = localParticipant(room).performRpc({
      destinationIdentity: destination,
      method: spec.name,
      payload,
      ...(timeoutMs !== undefined ? { responseTimeout: timeoutMs } : {}),
    });
    onPhase?.({ phase: "sent", method: spec.name });
    reply = await (callOptions.signal ? raceAbort(pending, callOptions.signal) : pending);
  } catch (e) {
    throw LkrpcError.from(e, registry);
  }

  if (spec.maxResponseBytes > 0 || onPhase) {
    const n = utf8Length(reply);
    onPhase?.({ phase: "received", method: spec.name, responseBytes: n });
    if (spec.maxResponseBytes > 0 && n > spec.maxResponseBytes) {
      throw tooLarge(Code.RESPONSE_PAYLOAD_TOO_LARGE, n, spec.maxResponseBytes, spec.name);
    }
  }
  // The handler answers in the caller's form, but read whatever arrived: a
  // hand-written handler in another language may not.
  try {
    const message = decodeMessage(output, reply).message;
    onPhase?.({ phase: "decoded", method: spec.name });
    return message;
  } catch (e) {
    throw new LkrpcError(Code.MALFORMED_RESPONSE, `reply of ${spec.name} does not decode: ${errorText(e)}`, {
      cause: e,
    });
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
