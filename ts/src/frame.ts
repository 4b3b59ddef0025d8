// The content of an lkrpc streaming reply (PROTOCOL.md §8.1): lines of
// "m" + a message payload, ended by one "e" + a JSON status. This file
// mirrors Go's runtime/engine/frame: the same frames, the same sizes (UTF-8
// bytes, "\n" included: what credit counts), the same status JSON.

import { utf8Length } from "./codec.js";
import { MAX_DATA_BYTES, MAX_MESSAGE_BYTES } from "./errors.js";

/** How a reply ended: code 0 is success; any other is the call's error. */
export interface FrameStatus {
  code: number;
  message?: string;
  data?: string;
}

/** One parsed frame. */
export type Frame =
  | { kind: "m"; payload: string; size: number }
  | { kind: "e"; status: FrameStatus; size: number };

/** The frame of one message; throws for a payload with "\n" (the codecs never write one). */
export function messageFrame(payload: string): string {
  if (payload.includes("\n")) throw new Error("lkrpc: a stream message payload must not contain a newline");
  return "m" + payload + "\n";
}

/** The size of the frame of a payload of n bytes. */
export function messageFrameSize(n: number): number {
  return n + 2;
}

/**
 * The last frame of a reply, as Go's frame.End writes it: `{"code":N}`, with
 * "message" and "data" when not empty, cut to the wire limits on code point
 * boundaries.
 */
export function endFrame(status: FrameStatus): string {
  const s: FrameStatus = { code: status.code };
  const message = truncateUTF8(status.message ?? "", MAX_MESSAGE_BYTES);
  const data = truncateUTF8(status.data ?? "", MAX_DATA_BYTES);
  if (message !== "") s.message = message;
  if (data !== "") s.data = data;
  return "e" + JSON.stringify(s) + "\n";
}

/** The longest prefix of s of at most n UTF-8 bytes that does not split a code point. */
export function truncateUTF8(s: string, n: number): string {
  if (s.length <= n / 3 || utf8Length(s) <= n) return s;
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const w = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + w > n) break;
    bytes += w;
    end += ch.length;
  }
  return s.slice(0, end);
}

/** A frame over the reader's bound. */
export class FrameTooLargeError extends Error {
  override name = "FrameTooLargeError";
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`frame: a frame of at least ${size} bytes is over the limit of ${max}`);
  }
}

/**
 * FrameReader splits a reply's content into frames however its chunks cut
 * them, refusing a frame over max bytes ("\n" included) as soon as what
 * has arrived of it is that long. After an error, or after the end frame,
 * it takes nothing more.
 */
export class FrameReader {
  private pending: string[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(private readonly max: number) {}

  /**
   * Takes the next piece of content and returns the frames it completes,
   * and the error that stopped it (a malformed frame, a FrameTooLargeError)
   * after the frames before it.
   */
  write(text: string): { frames: Frame[]; error?: Error } {
    const frames: Frame[] = [];
    try {
      this.split(text, frames);
    } catch (e) {
      this.ended = true; // nothing more after an error
      return { frames, error: e instanceof Error ? e : new Error(String(e)) };
    }
    return { frames };
  }

  private split(text: string, frames: Frame[]): void {
    let p = text;
    while (p.length > 0) {
      if (this.ended) throw new Error("frame: content after the end frame");
      const i = p.indexOf("\n");
      if (i < 0) {
        const n = utf8Length(p);
        if (this.pendingBytes + n >= this.max) throw new FrameTooLargeError(this.pendingBytes + n + 1, this.max);
        this.pending.push(p);
        this.pendingBytes += n;
        return;
      }
      const piece = p.slice(0, i);
      const size = this.pendingBytes + utf8Length(piece) + 1;
      const line = this.pending.length > 0 ? this.pending.join("") + piece : piece;
      this.pending = [];
      this.pendingBytes = 0;
      p = p.slice(i + 1);
      if (size > this.max) throw new FrameTooLargeError(size, this.max);
      const f = parseFrame(line, size);
      this.ended = f.kind === "e";
      frames.push(f);
    }
  }

  /** Whether a frame has started and not ended. */
  get partial(): boolean {
    return this.pending.length > 0;
  }
}

function parseFrame(line: string, size: number): Frame {
  if (!line.isWellFormed()) throw new Error("frame: not valid UTF-8");
  if (line === "") throw new Error("frame: an empty line");
  switch (line[0]) {
    case "m":
      return { kind: "m", payload: line.slice(1), size };
    case "e": {
      let v: unknown;
      try {
        v = JSON.parse(line.slice(1));
      } catch (e) {
        throw new Error(`frame: the end frame's status is not a JSON object: ${(e as Error).message}`);
      }
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new Error("frame: the end frame's status is not a JSON object");
      }
      const o = v as Record<string, unknown>;
      const code = o["code"] ?? 0;
      const message = o["message"] ?? "";
      const data = o["data"] ?? "";
      if (typeof code !== "number" || !Number.isInteger(code) || typeof message !== "string" || typeof data !== "string") {
        throw new Error("frame: the end frame's status has fields of the wrong type");
      }
      return { kind: "e", status: { code, message, data }, size };
    }
    default:
      throw new Error(`frame: unknown frame kind ${JSON.stringify(line[0])}`);
  }
}
