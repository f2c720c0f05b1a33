/**
 * Messages over a byte stream, for child processes: each frame is the
 * message without its `bytes` field as JSON, then those bytes.
 *
 * Frame: u32 JSON length, u32 bytes length (big-endian), JSON, bytes.
 *
 * @module
 */

import { Batcher, endOfMicrotasks } from "./batch.ts";

const HEADER = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Larger frames mean a broken or hostile peer, not a message of ours. */
const MAX_FRAME = 64 << 20;

/**
 * Encodes a message. Its `bytes` field, if any, travels raw; the rest must
 * be JSON values.
 *
 * @param message The message.
 * @returns One frame.
 */
export function encodeFrame(message: object): Uint8Array {
  const { bytes, ...rest } = message as { bytes?: Uint8Array };
  const json = encoder.encode(JSON.stringify(rest));
  const size = bytes?.length ?? 0;
  const frame = new Uint8Array(HEADER + json.length + size);
  const view = new DataView(frame.buffer);
  view.setUint32(0, json.length);
  view.setUint32(4, bytes ? size : 0xffffffff); // "no bytes field", not empty
  frame.set(json, HEADER);
  if (bytes) frame.set(bytes, HEADER + json.length);
  return frame;
}

/**
 * Frames sent together (see `batch.ts`): what is sent before the current
 * microtasks end becomes one write, since each write is a system call that
 * wakes the other process. A worker's handler that writes and then
 * computes still has its write go out first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameBatcher, FrameReader } from "./frames.ts";
 *
 * const writes: Uint8Array[] = [];
 * const batch = frameBatcher((bytes) => writes.push(bytes));
 * batch.send({ t: "a" });
 * batch.send({ t: "b", bytes: new Uint8Array([1]) });
 * await Promise.resolve();
 * assert.equal(writes.length, 1);
 * assert.equal(new FrameReader().push(writes[0]).length, 2);
 * ```
 *
 * @param write Writes bytes to the stream, in call order.
 * @returns A batcher of messages; each message's bytes must be its own.
 */
export function frameBatcher(write: (bytes: Uint8Array) => void): Batcher {
  return new Batcher((batch) => {
    if (!Array.isArray(batch)) return write(encodeFrame(batch as object));
    const frames = batch.map((message: object) => encodeFrame(message));
    const all = new Uint8Array(
      frames.reduce((size, frame) => size + frame.length, 0),
    );
    let at = 0;
    for (const frame of frames) {
      all.set(frame, at);
      at += frame.length;
    }
    write(all);
  }, endOfMicrotasks);
}

/** Collects stream chunks and yields whole messages. */
export class FrameReader {
  #buffer = new Uint8Array(0);

  /**
   * Adds a chunk read from the stream.
   *
   * @param chunk The bytes.
   * @returns The messages completed by it, in order.
   * @throws {RangeError} If a frame claims an impossible size.
   */
  push(chunk: Uint8Array): unknown[] {
    let buffer = this.#buffer.length === 0
      ? chunk
      : concat(this.#buffer, chunk);
    const messages: unknown[] = [];
    for (;;) {
      if (buffer.length < HEADER) break;
      const view = new DataView(buffer.buffer, buffer.byteOffset, HEADER);
      const jsonSize = view.getUint32(0);
      const marker = view.getUint32(4);
      const size = marker === 0xffffffff ? 0 : marker;
      if (jsonSize + size > MAX_FRAME) {
        throw new RangeError(`frame of ${jsonSize + size} bytes is too large`);
      }
      const end = HEADER + jsonSize + size;
      if (buffer.length < end) break;
      const message = JSON.parse(
        decoder.decode(buffer.subarray(HEADER, HEADER + jsonSize)),
      );
      if (marker !== 0xffffffff) {
        message.bytes = buffer.slice(HEADER + jsonSize, end);
      }
      messages.push(message);
      buffer = buffer.subarray(end);
    }
    // Keep only the unfinished frame, not the chunk it sits in.
    this.#buffer = buffer.length === 0 ? new Uint8Array(0) : buffer.slice();
    return messages;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
