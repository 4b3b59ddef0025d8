// Payload codecs, the same two as lkrpc's Go runtime (runtime/codec):
//
//   * "json": the canonical proto3 JSON mapping (protojson in Go, toJson in
//     protobuf-es): lowerCamelCase names, zero values left out, unknown
//     fields ignored when reading so that old handlers accept new callers;
//   * "binary": the protobuf wire format in standard padded base64 (LiveKit
//     payloads are UTF-8 strings, so raw bytes cannot travel).
//
// A reader tells them apart by the first byte that is not JSON whitespace:
// '{', '[', '"' and '-' start JSON and are not in the base64 alphabet.

import {
  fromBinary,
  fromJsonString,
  toBinary,
  toJsonString,
  type DescMessage,
  type MessageShape,
} from "@bufbuild/protobuf";
import { base64Decode, base64Encode } from "@bufbuild/protobuf/wire";

/** The payload encodings lkrpc speaks. */
export type CodecName = "json" | "binary";

/** The codecs, as constants. */
export const Codec = { JSON: "json", BINARY: "binary" } as const satisfies Record<string, CodecName>;

/** Encodes message as a payload string in codec. */
export function encodeMessage<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  codec: CodecName,
): string {
  if (codec === "binary") {
    return bytesToBase64(toBinary(schema, message));
  }
  return toJsonString(schema, message);
}

/**
 * Reports whether payload's first byte other than JSON whitespace (space,
 * tab, CR, LF) is '{', '[', '"' or '-': the payload is JSON.
 */
export function isJSON(payload: string): boolean {
  for (let i = 0; i < payload.length; i++) {
    switch (payload.charCodeAt(i)) {
      case 0x20:
      case 0x09:
      case 0x0d:
      case 0x0a:
        continue;
      case 0x7b: // {
      case 0x5b: // [
      case 0x22: // "
      case 0x2d: // -
        return true;
      default:
        return false;
    }
  }
  return false;
}

/** detectCodec is the codec payload was most likely encoded with. */
export function detectCodec(payload: string): CodecName {
  return isJSON(payload) ? "json" : "binary";
}

/** A decoded payload and the codec that decoded it. */
export interface Decoded<Desc extends DescMessage> {
  message: MessageShape<Desc>;
  codec: CodecName;
}

/**
 * Decodes payload into a new message of schema with the codec detectCodec
 * picks, as Go's codec.Unmarshal does: a payload that looks binary but does
 * not decode as such and is valid JSON (a bare number or literal, which
 * wrapper types encode to) is decoded as JSON. The empty payload is the
 * empty message in binary. Errors say which form was expected.
 */
export function decodeMessage<Desc extends DescMessage>(schema: Desc, payload: string): Decoded<Desc> {
  if (isJSON(payload)) {
    return { message: decodeJSON(schema, payload), codec: "json" };
  }
  try {
    return { message: decodeBinary(schema, payload), codec: "binary" };
  } catch (binaryErr) {
    if (!isValidJSON(payload)) throw binaryErr;
    return { message: decodeJSON(schema, payload), codec: "json" };
  }
}

function decodeJSON<Desc extends DescMessage>(schema: Desc, payload: string): MessageShape<Desc> {
  try {
    return fromJsonString(schema, payload, { ignoreUnknownFields: true });
  } catch (e) {
    throw new Error(`payload is not valid JSON for ${schema.typeName}: ${errorText(e)}`);
  }
}

function decodeBinary<Desc extends DescMessage>(schema: Desc, payload: string): MessageShape<Desc> {
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(payload);
  } catch (e) {
    throw new Error(`payload is neither a JSON object nor standard base64 for ${schema.typeName}: ${errorText(e)}`);
  }
  try {
    return fromBinary(schema, bytes);
  } catch (e) {
    throw new Error(`payload is not valid protobuf for ${schema.typeName}: ${errorText(e)}`);
  }
}

function isValidJSON(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

// Native base64 where the platform has it: Uint8Array.prototype.toBase64
// and Uint8Array.fromBase64 (current browsers), else Node's Buffer, else
// protobuf-es's portable loop.
interface Base64Native {
  fromBase64?: (s: string, opts?: { alphabet?: string; lastChunkHandling?: string }) => Uint8Array;
}
interface NodeBufferLike {
  from(s: string, enc: "base64"): Uint8Array;
  from(b: ArrayBufferLike, offset: number, length: number): { toString(enc: "base64"): string };
  byteLength(s: string, enc: "utf8"): number;
}
const nodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;
const nativeFromBase64 = (Uint8Array as unknown as Base64Native).fromBase64;
const nativeToBase64 = (Uint8Array.prototype as unknown as { toBase64?: () => string }).toBase64;

/** Whether s is standard padded base64 (a loop: a regular expression overflows the stack on megabytes). */
function isStdBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  if (end > 0 && s.charCodeAt(end - 1) === 0x3d && end === s.length - 1) end--;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

/** Standard padded base64 of bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64.call(bytes);
  if (nodeBuffer) return nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  return base64Encode(bytes, "std");
}

/**
 * Decodes standard padded base64 strictly, as Go's base64.StdEncoding does:
 * no other characters, no whitespace, padding required.
 */
export function base64ToBytes(s: string): Uint8Array {
  if (nativeFromBase64) {
    try {
      return nativeFromBase64(s, { alphabet: "base64", lastChunkHandling: "strict" });
    } catch (e) {
      throw new Error(`illegal base64 data: ${errorText(e)}`);
    }
  }
  if (!isStdBase64(s)) throw new Error("illegal base64 data");
  if (nodeBuffer) return nodeBuffer.from(s, "base64");
  return base64Decode(s);
}

/** The UTF-8 length of s in bytes: what LiveKit counts payloads in. */
export function utf8Length(s: string): number {
  if (nodeBuffer) return nodeBuffer.byteLength(s, "utf8");
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3; // lone surrogate: encoded as U+FFFD, 3 bytes
    } else n += 3;
  }
  return n;
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
