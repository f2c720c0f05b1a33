/**
 * How big the next read's buffer should be, for drivers that read into a
 * buffer of their own (Deno's `conn.read(buffer)`): small while the peer
 * sends little, larger while reads fill the buffer, small again after a
 * run of small reads. A pending read holds its buffer, so a server with
 * many idle clients holds many buffers of the size they wait with. Netty's
 * `AdaptiveRecvByteBufAllocator` is the known pattern.
 *
 * @module
 */

/**
 * The size a connection starts with, and never goes below: 256 bytes, what
 * an idle client waits with (a line or a small message fits).
 */
export const MIN_READ_SIZE = 256;

/** Small reads in a row before the size halves. */
const SHRINK_AFTER = 4;

/**
 * The adaptive size of one connection's reads.
 *
 * @example Growing with a bulk sender, shrinking when it quiets
 * ```ts
 * import assert from "node:assert/strict";
 * import { MIN_READ_SIZE, ReadSize } from "./read_size.ts";
 *
 * const size = new ReadSize();
 * assert.equal(size.next(65536), MIN_READ_SIZE);
 * size.record(MIN_READ_SIZE, MIN_READ_SIZE); // a full buffer: grow
 * assert.equal(size.next(65536), 4 * MIN_READ_SIZE);
 * for (let i = 0; i < 4; i++) size.record(64, 4 * MIN_READ_SIZE);
 * assert.equal(size.next(65536), 2 * MIN_READ_SIZE);
 * ```
 */
export class ReadSize {
  #size = MIN_READ_SIZE;
  #small = 0;

  /**
   * The size for the next read.
   *
   * @param max The largest allowed: the connection's `readBufferSize`.
   * @returns A size from `min(MIN_READ_SIZE, max)` to `max`.
   */
  next(max: number): number {
    return Math.min(this.#size, max);
  }

  /**
   * Learns from a read: a full buffer grows the next one fourfold, a run
   * of reads that used under a quarter halves it.
   *
   * @param bytes How many bytes the read returned.
   * @param size The size of the buffer it read into.
   */
  record(bytes: number, size: number): void {
    if (bytes >= size) {
      this.#size = size * 4;
      this.#small = 0;
    } else if (bytes < size / 4 && size > MIN_READ_SIZE) {
      if (++this.#small >= SHRINK_AFTER) {
        this.#size = Math.max(size / 2, MIN_READ_SIZE);
        this.#small = 0;
      }
    } else this.#small = 0;
  }
}
