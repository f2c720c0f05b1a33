/**
 * Messages between a server and its workers, sent together: what one side
 * sends before it flushes goes as a single `postMessage` (an array) to a
 * thread, or a single write on a child's link, since each one wakes the
 * other side and costs far more than the bytes it carries. A relayed echo
 * sends two or three messages; with many clients, one flush carries many.
 *
 * @module
 */

/** Posts one message to the other side, with the buffers it moves. */
export type Post = (message: unknown, transfer: ArrayBuffer[]) => void;

/** Runs `flush` later: at the end of the turn, or of the microtasks. */
export type Schedule = (flush: () => void) => void;

/**
 * A worker's flush: once the handlers that resumed together have run up to
 * their next wait. Never later: a handler that writes and then computes
 * must not hold its write back until the computation ends. Also Deno's
 * server's: Deno completes a turn's reads in one call.
 */
export const endOfMicrotasks: Schedule = (flush) => queueMicrotask(flush);

/**
 * Queues messages and posts them when `schedule` says, in order.
 *
 * @example Three messages, one post
 * ```ts
 * import assert from "node:assert/strict";
 * import { Batcher, endOfMicrotasks, unbatch } from "./batch.ts";
 *
 * const posted: unknown[] = [];
 * const batcher = new Batcher(
 *   (message) => posted.push(message),
 *   endOfMicrotasks,
 * );
 * batcher.send({ t: "a" });
 * batcher.send({ t: "b" });
 * batcher.send({ t: "c" });
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * assert.equal(posted.length, 1);
 * const received: unknown[] = [];
 * unbatch(posted[0], (message) => received.push(message));
 * assert.deepEqual(received, [{ t: "a" }, { t: "b" }, { t: "c" }]);
 * ```
 */
export class Batcher {
  #post: Post;
  #schedule: Schedule;
  #messages: unknown[] = [];
  #transfer: ArrayBuffer[] = [];
  #scheduled = false;

  /**
   * @param post Posts to the other thread.
   * @param schedule When to post what was queued.
   */
  constructor(post: Post, schedule: Schedule) {
    this.#post = post;
    this.#schedule = schedule;
  }

  /**
   * Sends `message` with the others of this batch.
   *
   * @param message A message object (never an array: arrays are batches).
   * @param transfer Buffers it moves to the other thread.
   */
  send(message: unknown, transfer?: ArrayBuffer[]): void {
    this.#messages.push(message);
    if (transfer) {
      for (const buffer of transfer) {
        this.#transfer.push(buffer);
      }
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(this.#scheduledFlush);
  }

  /** Posts what is queued now: a message sent another way must follow it. */
  flush(): void {
    this.#flush();
  }

  /** Drops what is queued: the other thread is gone. */
  clear(): void {
    this.#messages = [];
    this.#transfer = [];
  }

  #scheduledFlush = (): void => {
    this.#scheduled = false;
    this.#flush();
  };

  #flush(): void {
    const messages = this.#messages, transfer = this.#transfer;
    if (messages.length === 0) return;
    this.#messages = [];
    this.#transfer = [];
    this.#post(messages.length === 1 ? messages[0] : messages, transfer);
  }
}

/**
 * Hands each message of what a {@linkcode Batcher} posted to `deliver`.
 *
 * @param data The posted data: one message, or an array of them.
 * @param deliver Takes one message.
 */
export function unbatch<T>(
  data: unknown,
  deliver: (message: T) => void,
): void {
  // From the other side of our own link: its messages are T.
  if (!Array.isArray(data)) return deliver(data as T);
  for (const message of data) deliver(message);
}
