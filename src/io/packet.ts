/**
 * A datagram's payload as an `rfile` source, and its reply as a `wfile`
 * sink: Python's `BytesIO` pair in `DatagramRequestHandler`.
 *
 * @module
 */

import { concat } from "./bytes.ts";
import type { ChunkSource } from "./reader.ts";
import type { ByteSink } from "./writer.ts";

/**
 * Serves one payload to a `SocketReader`, then the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketReader } from "./reader.ts";
 * import { PacketSource } from "./packet.ts";
 *
 * const rfile = new SocketReader(new PacketSource(new TextEncoder().encode("a\nb")));
 * assert.deepEqual(await rfile.readline(), new TextEncoder().encode("a\n"));
 * assert.deepEqual(await rfile.read(), new TextEncoder().encode("b"));
 * ```
 */
export class PacketSource implements ChunkSource {
  #chunks: Uint8Array[];

  /**
   * @param packet The payload to read.
   */
  constructor(packet: Uint8Array) {
    this.#chunks = packet.length > 0 ? [packet] : [];
  }

  /** The unread bytes, or `null` once all are read. */
  readChunk(): Promise<Uint8Array | null> {
    return Promise.resolve(this.#chunks.pop() ?? null);
  }

  /**
   * Puts bytes back, to be read first.
   *
   * @param chunk Bytes taken from this source.
   */
  unread(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#chunks.push(chunk);
  }
}

/**
 * Collects what a handler writes, to be sent as one datagram.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketWriter } from "./writer.ts";
 * import { PacketBuffer } from "./packet.ts";
 *
 * const reply = new PacketBuffer();
 * const wfile = new SocketWriter(reply);
 * await wfile.write("ab");
 * await wfile.write("c");
 * assert.deepEqual(reply.value(), new TextEncoder().encode("abc"));
 * ```
 */
export class PacketBuffer implements ByteSink {
  #parts: Uint8Array[] = [];
  #size = 0;

  /**
   * Stores a copy of `data` (the caller may reuse its array).
   *
   * @param data Bytes written to `wfile`.
   */
  sendall(data: Uint8Array): Promise<void> {
    this.#parts.push(copyOut(data, data.length));
    this.#size += data.length;
    return Promise.resolve();
  }

  /** Everything written so far, in one array (Python's `getvalue()`). */
  value(): Uint8Array {
    const parts = this.#parts;
    return parts.length === 1 ? parts[0] : copyOut(parts, this.#size);
  }
}

/**
 * Small replies are copied into a shared block rather than a buffer each:
 * on Deno every new buffer costs over a microsecond (rusty_v8 keeps no typed
 * array on V8's heap), two of them per datagram. Only the handler's own
 * `wfile` and the send see these views, and no byte of a block is written
 * twice, so a reply cannot be changed or seen by another.
 */
const BLOCK_SIZE = 16384;
const SMALL = 1024;
let block = new Uint8Array(0);
let used = 0;

function copyOut(from: Uint8Array | Uint8Array[], size: number): Uint8Array {
  if (size > SMALL) {
    return Array.isArray(from) ? concat(from, size) : from.slice();
  }
  if (used + size > block.length) {
    block = new Uint8Array(BLOCK_SIZE);
    used = 0;
  }
  const start = used;
  if (Array.isArray(from)) {
    for (const part of from) {
      block.set(part, used);
      used += part.length;
    }
  } else {
    block.set(from, used);
    used += size;
  }
  return block.subarray(start, used);
}
