// What a method's lkrpc options say, read from protoc-gen-es's descriptors
// with the same precedence rules as protoc-gen-lkrpc (generator/options.go).

import { getOption, hasOption, type DescMethod, type DescService } from "@bufbuild/protobuf";
import {
  Codec as CodecEnum,
  method as methodExt,
  service as serviceExt,
} from "../gen/lkrpc/v1/options_pb.js";
import { utf8Length, type CodecName } from "./codec.js";

/** The longest wire name accepted, in UTF-8 bytes (as the Go generator). */
export const MAX_WIRE_NAME_BYTES = 255;

/** The largest max_request_bytes / max_response_bytes accepted. */
export const MAX_SIZE_LIMIT = 2147483647;

/**
 * MethodSpec is one method's wire name and options, resolved from the
 * method's `(lkrpc.v1.method)` and its service's `(lkrpc.v1.service)`: a
 * method's own value wins field by field; zero means "not set".
 */
export interface MethodSpec {
  /** The method's descriptor. */
  readonly method: DescMethod;
  /** "unary", or "server_streaming" (`returns (stream …)`, PROTOCOL.md §8). */
  readonly kind: "unary" | "server_streaming";
  /**
   * The wire name: the method option's `name`, else the service's
   * `name_prefix` + the method's proto name, else
   * `<proto package>.<Service>/<Method>`.
   */
  readonly name: string;
  /** The request codec: the options' codec, JSON when unset. */
  readonly codec: CodecName;
  /** Whether an option set the codec (a call option may still override it). */
  readonly codecSet: boolean;
  /** Default response timeout in milliseconds; 0 when unset (the SDK's default applies). */
  readonly timeoutMs: number;
  /** Limit on an encoded request in UTF-8 bytes; 0 when unset. */
  readonly maxRequestBytes: number;
  /** Limit on an encoded response in UTF-8 bytes; 0 when unset. */
  readonly maxResponseBytes: number;
}

/**
 * Resolves every method of service, or throws an Error naming each method
 * whose options are invalid (as the Go generator refuses to generate them):
 * client and bidirectional streaming methods, invalid or duplicate wire names, unknown codecs,
 * limits over 2147483647.
 */
export function serviceSpecs(service: DescService): MethodSpec[] {
  const problems: string[] = [];
  const specs: MethodSpec[] = [];
  const byName = new Map<string, DescMethod>();
  for (const m of service.methods) {
    try {
      const spec = methodSpec(m);
      const other = byName.get(spec.name);
      if (other) throw new Error(`wire name "${spec.name}" is already used by ${other.name}`);
      byName.set(spec.name, m);
      specs.push(spec);
    } catch (e) {
      problems.push(`${service.typeName}.${m.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (problems.length > 0) throw new Error("lkrpc: " + problems.join("; "));
  return specs;
}

/** Resolves one method; throws when its options are invalid. */
export function methodSpec(m: DescMethod): MethodSpec {
  if (m.methodKind !== "unary" && m.methodKind !== "server_streaming") {
    throw new Error(
      "client and bidirectional streaming methods are not supported: lkrpc streams replies only (returns (stream …); docs/PROTOCOL.md §8)",
    );
  }
  const svc = m.parent;
  const so = hasOption(svc, serviceExt) ? getOption(svc, serviceExt) : undefined;
  const mo = hasOption(m, methodExt) ? getOption(m, methodExt) : undefined;
  let name = so?.namePrefix ? so.namePrefix + m.name : `${svc.typeName}/${m.name}`;
  if (mo?.name) name = mo.name;
  validateWireName(name);
  const codecValue = firstNonZero(mo?.codec ?? 0, so?.codec ?? 0);
  let codec: CodecName;
  switch (codecValue) {
    case CodecEnum.UNSPECIFIED:
    case CodecEnum.JSON:
      codec = "json";
      break;
    case CodecEnum.BINARY:
      codec = "binary";
      break;
    default:
      throw new Error(`unknown codec ${codecValue}`);
  }
  const maxRequestBytes = firstNonZero(mo?.maxRequestBytes ?? 0, so?.maxRequestBytes ?? 0);
  const maxResponseBytes = firstNonZero(mo?.maxResponseBytes ?? 0, so?.maxResponseBytes ?? 0);
  if (maxRequestBytes > MAX_SIZE_LIMIT) {
    throw new Error(`max_request_bytes ${maxRequestBytes} exceeds ${MAX_SIZE_LIMIT}`);
  }
  if (maxResponseBytes > MAX_SIZE_LIMIT) {
    throw new Error(`max_response_bytes ${maxResponseBytes} exceeds ${MAX_SIZE_LIMIT}`);
  }
  return {
    method: m,
    kind: m.methodKind,
    name,
    codec,
    codecSet: codecValue !== CodecEnum.UNSPECIFIED,
    timeoutMs: firstNonZero(mo?.timeoutMs ?? 0, so?.timeoutMs ?? 0),
    maxRequestBytes,
    maxResponseBytes,
  };
}

/**
 * Enforces what the SDKs can carry: non-empty UTF-8 of at most 255 bytes
 * without control characters.
 */
export function validateWireName(name: string): void {
  if (name === "") throw new Error("empty wire name");
  const n = utf8Length(name);
  if (n > MAX_WIRE_NAME_BYTES) {
    throw new Error(`wire name is ${n} bytes long, more than ${MAX_WIRE_NAME_BYTES}`);
  }
  if (!name.isWellFormed()) throw new Error(`wire name ${JSON.stringify(name)} is not valid UTF-8`);
  for (const ch of name) {
    if (/\p{Cc}/u.test(ch)) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      throw new Error(`wire name ${JSON.stringify(name)} contains control character U+${cp}`);
    }
  }
}

function firstNonZero(...values: number[]): number {
  for (const v of values) if (v !== 0) return v;
  return 0;
}
