// Typed handlers: a service implementation registered method by method with
// the SDK's own registerRpcMethod, all or nothing.

import {
  create,
  isMessage,
  type DescMessage,
  type DescService,
  type MessageInitShape,
  type MessageShape,
  type Registry,
} from "@bufbuild/protobuf";
import { decodeMessage, encodeMessage, errorText, utf8Length, type CodecName } from "./codec.js";
import { BUILTIN_MESSAGES, Code, LkrpcError } from "./errors.js";
import { tooLarge } from "./request.js";
import { advertise } from "./discovery.js";
import { serviceRegistry } from "./registry.js";
import { registrar, type RpcErrorClass, type RpcInvocation, type RpcRoom } from "./room.js";
import { serviceSpecs, type MethodSpec } from "./spec.js";
import { serveStream, type StreamHandlerContext, type StreamImplFn } from "./stream_handler.js";
import { RoomStreams } from "./streamroom.js";

/** What a handler learns about the call it serves. */
export interface HandlerContext {
  /** The wire name of the method called. */
  readonly method: string;
  /** The caller's identity, as the SFU stamped it on the request. */
  readonly callerIdentity: string;
  readonly requestId: string;
  /** How long the caller waits for the reply, in milliseconds (as the SDK reports it). */
  readonly responseTimeoutMs: number;
  /** The form of the request, which the reply takes too. */
  readonly codec: CodecName;
}

type MethodImpl<M> = M extends {
  methodKind: "unary";
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: MessageShape<I>, context: HandlerContext) => Promise<MessageInitShape<O>> | MessageInitShape<O>
  : M extends {
        methodKind: "server_streaming";
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (request: MessageShape<I>, context: StreamHandlerContext) => AsyncIterable<MessageInitShape<O>>
    : never;

/**
 * ServiceImpl<S> implements service S: one function per method, named as
 * protoc-gen-es names them. registerHandlers takes a Partial: a method left
 * out answers 1400 "Method not supported at destination", like Go's
 * Unimplemented handler. A server-streaming method returns an
 * AsyncIterable of its messages: write it as an async generator function,
 * `async *answer(req, ctx) { yield {…}; }`, and stop when ctx.signal
 * aborts (the caller cancelled or left).
 */
export type ServiceImpl<S extends DescService> = {
  [K in keyof S["method"]]: MethodImpl<S["method"][K]>;
};

export interface HandlerOptions {
  /**
   * The SDK's RpcError class: `import { RpcError } from "livekit-client"`
   * (or "@livekit/rtc-node"). The SDKs send a handler's code, message and
   * data only for errors of their own class.
   */
  RpcError: RpcErrorClass;
  /**
   * Send the text of a handler's non-RPC error to the caller (code 1500 with
   * the error's message). Off by default: the caller gets 1500
   * "Application error in method handler" and the text stays in the log.
   */
  errorText?: boolean;
  /** Types of details thrown as bare messages, besides those of the service's file and its imports. */
  registry?: Registry;
  /**
   * Called with a handler's non-RPC error (logged with console.error by
   * default), since the caller does not see its text.
   */
  onError?: (error: unknown, method: string) => void;
  /**
   * Advertise the service in the discovery attribute (default true; see
   * serves): the local participant's setAttributes, which needs a token
   * with canUpdateOwnMetadata. Without it, one console.warn and the
   * handlers serve anyway; false keeps it quiet.
   */
  discovery?: boolean;
}

/**
 * registerHandlers registers impl's methods of service on room with the
 * SDK's registerRpcMethod under their wire names, all or none: when one
 * cannot be registered, those registered already are removed and the
 * error is thrown. It returns the function that unregisters them all.
 * While registered, the service's full name is advertised in the discovery
 * attribute (see serves and options.discovery).
 *
 * Each handler accepts JSON and binary requests and answers in the
 * caller's form (the method's codec when the request is empty). Failures
 * reach the caller as Go's runtime sends them: a thrown LkrpcError (or SDK
 * RpcError) as it is, with its details; a request over max_request_bytes
 * 1402 (handler not run); a request that does not decode 2400; a reply
 * over max_response_bytes 1504; any other error 1500 without its text
 * (unless errorText).
 */
export function registerHandlers<S extends DescService>(
  service: S,
  room: RpcRoom,
  impl: Partial<ServiceImpl<S>>,
  options: HandlerOptions,
): () => void {
  if (typeof options?.RpcError !== "function") {
    throw new Error("lkrpc: registerHandlers needs options.RpcError, the SDK's RpcError class");
  }
  const specs = serviceSpecs(service);
  const fns = impl as Record<string, unknown>;
  for (const spec of specs) {
    const fn = fns[spec.method.localName];
    if (fn !== undefined && typeof fn !== "function") {
      throw new Error(`lkrpc: ${service.typeName}.${spec.method.name}: implementation is not a function`);
    }
  }
  const registry = serviceRegistry(service, options.registry);
  const { register, unregister } = registrar(room);
  const streams = RoomStreams.supported(room);
  const streaming = specs.filter((s) => s.kind === "server_streaming");
  if (streaming.length > 0 && !streams) {
    console.warn(
      `lkrpc: ${service.typeName}: the room's SDK has no text streams (registerTextStreamHandler, sendText, streamText), ` +
        `so its server-streaming methods are not served: ${streaming.map((s) => s.method.name).join(", ")}`,
    );
  }
  // Before any method: a registration the discovery attribute has no room
  // for registers nothing.
  const withdraw = options.discovery === false ? () => {} : advertise(room, [service.typeName]);
  const undo: (() => void)[] = [];
  try {
    for (const spec of specs) {
      if (spec.kind === "server_streaming") {
        if (!streams) continue;
        const fn = fns[spec.method.localName] as StreamImplFn | undefined;
        undo.push(serveStream(room, spec, fn?.bind(impl), options, registry));
        continue;
      }
      const fn = fns[spec.method.localName] as Handler | undefined;
      register(spec.name, (data) => serve(spec, fn?.bind(impl), data, options, registry));
      undo.push(() => unregister(spec.name));
    }
  } catch (e) {
    undo.forEach((f) => f());
    withdraw();
    throw new Error(`lkrpc: register ${service.typeName}: ${errorText(e)}`, { cause: e });
  }
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    undo.forEach((f) => f());
    withdraw();
  };
}

type Handler = (request: unknown, context: HandlerContext) => unknown;

async function serve(
  spec: MethodSpec,
  fn: Handler | undefined,
  data: RpcInvocation,
  options: HandlerOptions,
  registry: Registry,
): Promise<string> {
  try {
    return await serveTyped(spec, fn, data);
  } catch (e) {
    throw toWire(e, spec, options, registry);
  }
}

async function serveTyped(spec: MethodSpec, fn: Handler | undefined, data: RpcInvocation): Promise<string> {
  const { input, output } = spec.method;
  const payload = data.payload ?? "";
  if (spec.maxRequestBytes > 0) {
    const n = utf8Length(payload);
    if (n > spec.maxRequestBytes) throw tooLarge(Code.REQUEST_PAYLOAD_TOO_LARGE, n, spec.maxRequestBytes, spec.name);
  }
  if (!fn) throw new LkrpcError(Code.UNSUPPORTED_METHOD);
  let request: MessageShape<DescMessage>;
  let codec: CodecName;
  try {
    ({ message: request, codec } = decodeMessage(input, payload));
  } catch (e) {
    throw new LkrpcError(Code.MALFORMED_REQUEST, `request of ${spec.name} does not decode: ${errorText(e)}`);
  }
  // An empty request shows no form: answer in the method's codec.
  if (payload === "") codec = spec.codec;
  const context: HandlerContext = {
    method: spec.name,
    callerIdentity: data.callerIdentity,
    requestId: data.requestId,
    responseTimeoutMs: data.responseTimeout,
    codec,
  };
  const result = (await fn(request, context)) as MessageInitShape<DescMessage> | undefined;
  let reply: string;
  try {
    const message = isMessage(result, output) ? result : create(output, result ?? {});
    reply = encodeMessage(output, message, codec);
  } catch (e) {
    throw new Error(`response does not encode: ${errorText(e)}`, { cause: e });
  }
  if (spec.maxResponseBytes > 0) {
    const n = utf8Length(reply);
    if (n > spec.maxResponseBytes) throw tooLarge(Code.RESPONSE_PAYLOAD_TOO_LARGE, n, spec.maxResponseBytes, spec.name);
  }
  return reply;
}

/** What a handler's failure becomes on the wire: an instance of the SDK's RpcError. */
function toWire(e: unknown, spec: MethodSpec, options: HandlerOptions, registry: Registry): Error {
  if (e instanceof options.RpcError) return e;
  if (e instanceof LkrpcError) {
    return new options.RpcError(e.code, e.message, e.dataWith(registry));
  }
  (options.onError ?? defaultOnError)(e, spec.name);
  const message = options.errorText ? errorText(e) : BUILTIN_MESSAGES[Code.APPLICATION_ERROR]!;
  return new options.RpcError(Code.APPLICATION_ERROR, message);
}

function defaultOnError(e: unknown, method: string): void {
  console.error(`lkrpc: handler of ${method} failed:`, e);
}
