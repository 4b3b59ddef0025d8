// One error class for every RPC failure, with the built-in codes and the
// typed details lkrpc's Go runtime sends (lkrpc.NewError / lkrpc.ErrorDetails):
//
//   {"details":[{"@type":"type.googleapis.com/pkg.Msg", ...fields}]}
//
// each element being the canonical JSON of a google.protobuf.Any.

import {
  create,
  createRegistry,
  fromJson,
  isMessage,
  toJson,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Message,
  type MessageInitShape,
  type MessageShape,
  type Registry,
} from "@bufbuild/protobuf";
import { AnySchema, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { errorText, utf8Length } from "./codec.js";

/**
 * Error codes. 1400–1505 are LiveKit's built-in codes, identical in every
 * SDK (1001–1999 are reserved for them); 2400, 2401 and 2403 are lkrpc's
 * own. Applications use any other code.
 */
export const Code = {
  /** Handler side: no such method (or not implemented). */
  UNSUPPORTED_METHOD: 1400,
  RECIPIENT_NOT_FOUND: 1401,
  /** Request over 15360 bytes to a v1-only peer, or over max_request_bytes. */
  REQUEST_PAYLOAD_TOO_LARGE: 1402,
  UNSUPPORTED_SERVER: 1403,
  UNSUPPORTED_VERSION: 1404,
  /** A handler failed with something that is not an RPC error. */
  APPLICATION_ERROR: 1500,
  /** No ack within 7 s. */
  CONNECTION_TIMEOUT: 1501,
  /** No response within the call's timeout. */
  RESPONSE_TIMEOUT: 1502,
  /** The destination left the room. */
  RECIPIENT_DISCONNECTED: 1503,
  /** Reply over 15360 bytes to a v1-only caller, or over max_response_bytes. */
  RESPONSE_PAYLOAD_TOO_LARGE: 1504,
  SEND_FAILED: 1505,
  /** lkrpc: the handler could not decode the request payload. */
  MALFORMED_REQUEST: 2400,
  /** lkrpc: the caller could not decode the reply (raised caller-side). */
  MALFORMED_RESPONSE: 2401,
  /** lkrpc: an authorizer refused the call. */
  PERMISSION_DENIED: 2403,
} as const;

/** The SDKs' standard messages for the built-in codes. */
export const BUILTIN_MESSAGES: Readonly<Record<number, string>> = {
  1400: "Method not supported at destination",
  1401: "Recipient not found",
  1402: "Request payload too large",
  1403: "RPC not supported by server",
  1404: "Unsupported RPC version",
  1500: "Application error in method handler",
  1501: "Connection timeout",
  1502: "Response timeout",
  1503: "Recipient disconnected",
  1504: "Response payload too large",
  1505: "Failed to send",
  2403: "Permission denied",
};

/** The prefix of the `@type` URL of a detail. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** The wire limits of an error, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 256;
export const MAX_DATA_BYTES = 15360;

/**
 * A detail to send: a message with its schema, or a message alone (its
 * type is then looked up by `$typeName` in the handler's registry).
 */
export type OutgoingDetail =
  | { desc: DescMessage; value: MessageInitShape<DescMessage> }
  | Message;

export interface LkrpcErrorOptions {
  /** Raw error data; ignored when details are given. */
  data?: string;
  /** Typed details, encoded into data as Go's lkrpc.NewError does. */
  details?: OutgoingDetail[];
  /** Types for decoding details (and for encoding details given without a schema). */
  registry?: Registry;
  /** Why the error was raised, for local logs only (never sent). */
  cause?: unknown;
}

/**
 * LkrpcError is every RPC failure a typed call rejects with, and what a
 * typed handler throws to fail with a code of its choice. `code`,
 * `message` and `data` are what travelled on the wire; `details` are the
 * typed details decoded from data with the client's registry (the
 * service's file and its imports, plus any registry given).
 */
export class LkrpcError extends Error {
  override name = "LkrpcError";
  /** The RPC error code. */
  readonly code: number;
  private _data: string | undefined;
  private readonly outgoing: OutgoingDetail[];
  private readonly registry: Registry | undefined;

  constructor(code: number, message?: string, options: LkrpcErrorOptions = {}) {
    const text = message ?? BUILTIN_MESSAGES[code] ?? "";
    super(text, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.outgoing = options.details ?? [];
    this.registry = options.registry;
    this._data = this.outgoing.length > 0 ? undefined : options.data;
  }

  /** The error data as sent or received (JSON details, or the sender's free text). */
  get data(): string | undefined {
    if (this._data === undefined && this.outgoing.length > 0) {
      this._data = encodeDetails(this.outgoing, this.registry);
    }
    return this._data;
  }

  /** Encodes outgoing details with registry for types given without a schema (used by handlers). */
  dataWith(registry: Registry | undefined): string | undefined {
    if (this._data === undefined && this.outgoing.length > 0) {
      this._data = encodeDetails(this.outgoing, registry && this.registry ? createRegistry(registry, this.registry) : (registry ?? this.registry));
    }
    return this._data;
  }

  /**
   * The typed details in data whose types the registry knows, in order.
   * Unknown types are left out (rawDetails has them all).
   */
  get details(): Message[] {
    const out: Message[] = [];
    if (!this.registry) return out;
    for (const raw of this.rawDetails) {
      const m = decodeDetail(raw, this.registry);
      if (m) out.push(m);
    }
    return out;
  }

  /** The details as JSON objects (each with "@type"), or [] when data holds none. */
  get rawDetails(): JsonObject[] {
    return parseDetails(this.data);
  }

  /** The details of type desc, decoded (whether or not the registry knows it). */
  findDetails<Desc extends DescMessage>(desc: Desc): MessageShape<Desc>[] {
    const reg = createRegistry(desc);
    const out: MessageShape<Desc>[] = [];
    for (const raw of this.rawDetails) {
      if (typeNameOf(raw) !== desc.typeName) continue;
      const m = decodeDetail(raw, reg);
      if (m) out.push(m as MessageShape<Desc>);
    }
    return out;
  }

  /**
   * Converts what an SDK's performRpc rejected with (an RpcError: code,
   * message, data) into an LkrpcError; anything else is returned as is.
   */
  static from(err: unknown, registry?: Registry): unknown {
    if (err instanceof LkrpcError) return err;
    if (isRpcErrorLike(err)) {
      return new LkrpcError(err.code, err.message, { data: err.data ?? undefined, registry, cause: err });
    }
    return err;
  }

  override toString(): string {
    return `LkrpcError: [${this.code}] ${this.message}`;
  }
}

/** Whether e looks like an SDK RpcError: a numeric code and a message. */
export function isRpcErrorLike(e: unknown): e is { code: number; message: string; data?: string | null } {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "number" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

function isMessageLike(d: unknown): d is Message {
  return typeof d === "object" && d !== null && typeof (d as { $typeName?: unknown }).$typeName === "string";
}

/**
 * Encodes details as Go's lkrpc.NewError does: {"details":[Any JSON, …]},
 * adding details in order while the whole stays within 15360 bytes (one
 * that does not fit, or cannot be encoded, is left out with a warning).
 * Returns undefined when no detail could be added.
 */
export function encodeDetails(details: OutgoingDetail[], registry?: Registry): string | undefined {
  const parts: string[] = [];
  let size = '{"details":[]}'.length;
  details.forEach((d, i) => {
    let json: string;
    try {
      let desc: DescMessage | undefined;
      let msg: Message;
      if (isMessageLike(d)) {
        desc = registry?.getMessage(d.$typeName);
        if (!desc) throw new Error(`type ${d.$typeName} is not in the registry: give the detail as {desc, value}`);
        msg = d;
      } else {
        desc = d.desc;
        msg = isMessage(d.value, desc) ? d.value : create(desc, d.value);
      }
      const reg = registry ? createRegistry(registry, desc) : createRegistry(desc);
      json = JSON.stringify(toJson(AnySchema, anyPack(desc, msg), { registry: reg }));
    } catch (e) {
      console.warn(`lkrpc: error detail ${i} left out: it does not encode: ${errorText(e)}`);
      return;
    }
    const n = utf8Length(json) + (parts.length > 0 ? 1 : 0);
    if (size + n > MAX_DATA_BYTES) {
      console.warn(`lkrpc: error detail ${i} left out: error data would exceed the wire limit of ${MAX_DATA_BYTES} bytes`);
      return;
    }
    size += n;
    parts.push(json);
  });
  if (parts.length === 0) return undefined;
  return '{"details":[' + parts.join(",") + "]}";
}

/** The detail objects of error data, or [] when data is not lkrpc's details JSON. */
export function parseDetails(data: string | undefined): JsonObject[] {
  if (!data) return [];
  let v: JsonValue;
  try {
    v = JSON.parse(data) as JsonValue;
  } catch {
    return [];
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return [];
  const list = (v as JsonObject)["details"];
  if (!Array.isArray(list)) return [];
  return list.filter((d): d is JsonObject => typeof d === "object" && d !== null && !Array.isArray(d));
}

function typeNameOf(raw: JsonObject): string {
  const url = raw["@type"];
  if (typeof url !== "string") return "";
  return url.slice(url.lastIndexOf("/") + 1);
}

/** Decodes one detail with registry, or returns undefined when its type is unknown or it does not decode. */
export function decodeDetail(raw: JsonObject, registry: Registry): Message | undefined {
  if (!registry.getMessage(typeNameOf(raw))) return undefined;
  try {
    const any = fromJson(AnySchema, raw, { registry, ignoreUnknownFields: true });
    return anyUnpack(any, registry);
  } catch {
    return undefined;
  }
}
