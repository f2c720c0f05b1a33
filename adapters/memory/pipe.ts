/**
 * One direction of an in-memory connection: what a writer puts in and a
 * reader takes out, with a bounded buffer between them, as a kernel's
 * socket buffers bound a real connection.
 *
 * @module
 */

import { type Deferred, deferred } from "../../src/_deferred.ts";
import { SocketError } from "../../src/errors.ts";

/**
 * Bytes a pipe holds before writes wait for the reader: 64 KiB. A real
 * loopback connection holds more (send and receive buffers together), but
 * any bound shows the same behaviour, and a small one shows it sooner.
 */
export const PIPE_CAPACITY = 64 << 10;

interface PendingWrite {
  data: Uint8Array;
  done: Deferred<void>;
}

/**
 * A bounded byte stream from one end to the other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pipe } from "./pipe.ts";
 *
 * const pipe = new Pipe();
 * await pipe.write(new Uint8Array([1, 2, 3]));
 * pipe.end();
 * assert.deepEqual(await pipe.read(2), new Uint8Array([1, 2]));
 * assert.deepEqual(await pipe.read(2), new Uint8Array([3]));
 * assert.equal(await pipe.read(2), null);
 * ```
 */
export class Pipe {
  /** Called once every write has moved into the buffer. */
  onDrained: (() => void) | undefined;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #pending: PendingWrite[] = [];
  /** The writer sent its FIN: once `#pending` is empty, reads end. */
  #ending = false;
  #failure: Error | undefined;
  #readerGone = false;
  #waiter: Deferred<Uint8Array | null> | undefined;
  #waiterMax = 0;

  /** Whether no write waits for room. */
  get drained(): boolean {
    return this.#pending.length === 0;
  }

  /**
   * Puts a copy of `data` in; resolves once it is in the buffer, so a
   * reader that stops holds the writer back.
   */
  write(data: Uint8Array): Promise<void> {
    if (this.#readerGone || this.#failure || this.#ending) {
      return Promise.reject(
        new SocketError("EPIPE", "the connection is closed"),
      );
    }
    let copy = data.slice();
    if (this.#pending.length === 0) {
      // What fits goes in now; the rest waits for the reader.
      const room = PIPE_CAPACITY - this.#buffered;
      if (copy.length <= room) {
        this.#deliver(copy);
        return Promise.resolve();
      }
      if (room > 0) {
        this.#deliver(copy.subarray(0, room));
        copy = copy.subarray(room);
      }
    }
    const done = deferred();
    this.#pending.push({ data: copy, done });
    return done.promise;
  }

  /**
   * The next bytes, at most `max`; `null` after the writer's FIN. Rejects
   * once the writer reset the connection.
   */
  read(max: number): Promise<Uint8Array | null> {
    // Writes may wait while the buffer is empty: the last bytes went
    // straight to a waiting reader.
    if (this.#chunks.length === 0) this.#refill();
    const head = this.#chunks[0];
    if (head !== undefined) {
      let chunk = head;
      if (head.length > max) {
        chunk = head.subarray(0, max);
        this.#chunks[0] = head.subarray(max);
      } else this.#chunks.shift();
      this.#buffered -= chunk.length;
      this.#refill();
      return Promise.resolve(chunk);
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ending && this.#pending.length === 0) {
      return Promise.resolve(null);
    }
    if (this.#readerGone) return Promise.resolve(null);
    this.#waiter = deferred();
    this.#waiterMax = max;
    return this.#waiter.promise;
  }

  /** The writer's FIN, after the writes still waiting. */
  end(): void {
    this.#ending = true;
    this.#refill();
  }

  /**
   * A reset: the reader's reads fail with `error`, what was buffered is
   * lost, and waiting writes fail.
   */
  reset(error: Error): void {
    if (this.#readerGone) return;
    this.#failure = error;
    this.#chunks = [];
    this.#buffered = 0;
    this.#failPending();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  /** The reader closed its end: what it did not read is dropped. */
  closeReader(): void {
    this.#readerGone = true;
    this.#chunks = [];
    this.#buffered = 0;
    this.#failPending();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve(null);
  }

  #failPending(): void {
    const closed = new SocketError("EPIPE", "the connection is closed");
    for (const { done } of this.#pending.splice(0)) done.reject(closed);
    this.onDrained?.();
  }

  #deliver(chunk: Uint8Array): void {
    const waiter = this.#waiter;
    if (waiter === undefined) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      return;
    }
    this.#waiter = undefined;
    if (chunk.length > this.#waiterMax) {
      this.#chunks.push(chunk.subarray(this.#waiterMax));
      this.#buffered += chunk.length - this.#waiterMax;
      chunk = chunk.subarray(0, this.#waiterMax);
    }
    waiter.resolve(chunk);
  }

  /** Moves waiting writes in while there is room; then the FIN, if sent. */
  #refill(): void {
    while (this.#pending.length > 0 && this.#buffered < PIPE_CAPACITY) {
      const head = this.#pending[0];
      const room = PIPE_CAPACITY - this.#buffered;
      if (head.data.length > room) {
        this.#deliver(head.data.subarray(0, room));
        head.data = head.data.subarray(room);
        continue;
      }
      this.#pending.shift();
      this.#deliver(head.data);
      head.done.resolve();
    }
    if (this.#pending.length > 0) return;
    this.onDrained?.();
    if (this.#ending && this.#chunks.length === 0 && this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve(null);
    }
  }
}
