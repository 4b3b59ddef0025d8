// What a call does with its request before it goes, for unary and
// streaming calls alike: encode it in the call's codec and hold it to the
// method's size limit.

import { create, isMessage, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { encodeMessage, errorText, utf8Length, type CodecName } from "./codec.js";
import { BUILTIN_MESSAGES, Code, LkrpcError } from "./errors.js";
import type { MethodSpec } from "./spec.js";

/**
 * encodeRequest encodes request for spec's method in codec; it throws an
 * Error naming the method when the request does not encode, and 1402 over
 * the method's max_request_bytes (nothing is sent).
 */
export function encodeRequest(spec: MethodSpec, request: MessageInitShape<DescMessage>, codec: CodecName): string {
  const input = spec.method.input;
  let payload: string;
  try {
    const message = isMessage(request, input) ? request : create(input, request);
    payload = encodeMessage(input, message, codec);
  } catch (e) {
    throw new Error(`lkrpc: ${spec.name}: request: ${errorText(e)}`, { cause: e });
  }
  if (spec.maxRequestBytes > 0) {
    const n = utf8Length(payload);
    if (n > spec.maxRequestBytes) throw tooLarge(Code.REQUEST_PAYLOAD_TOO_LARGE, n, spec.maxRequestBytes, spec.name);
  }
  return payload;
}

/** The error for a payload over a method's size limit, on either side (as Go words it). */
export function tooLarge(code: number, size: number, limit: number, method: string): LkrpcError {
  return new LkrpcError(code, `${BUILTIN_MESSAGES[code]}: ${size} bytes, limit ${limit} for ${method}`);
}
