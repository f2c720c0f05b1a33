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
    this.#parts.push(data.slice());
    this.#size += data.length;
    return Promise.resolve();
  }

  /** Everything written so far, in one array (Python's `getvalue()`). */
  value(): Uint8Array {
    return concat(this.#parts, this.#size);
  }
}
