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
  #packs: boolean;
  #payload: Payload | undefined;

  /**
   * @param post Posts to the other thread.
   * @param schedule When to post what was queued.
   * @param packBytes Whether small `data` and `write` messages travel in
   *   one shared buffer (for threads; see {@linkcode unbatch}).
   */
  constructor(post: Post, schedule: Schedule, packBytes = false) {
    this.#post = post;
    this.#schedule = schedule;
    this.#packs = packBytes;
  }

  /**
   * Sends `message` with the others of this batch. The bytes of a `data` or
   * `write` message are copied before this returns, so the caller may reuse
   * them; other messages' buffers must be the caller's to give (`transfer`).
   *
   * @param message A message object (never an array: arrays are batches).
   * @param transfer Buffers it moves to the other thread.
   */
  send(message: unknown, transfer?: ArrayBuffer[]): void {
    const bytes = (message as Packable).bytes;
    const kind = bytes ? PACKED.indexOf((message as Packable).t) : -1;
    if (kind >= 0) {
      if (this.#packs && bytes!.length <= PACKED_MAX) {
        this.#pack(kind, (message as Packable).id, bytes!);
        return this.#later();
      }
      const copy = bytes!.slice();
      (message as Packable).bytes = copy;
      this.#transfer.push(copy.buffer);
    }
    this.#messages.push(message);
    if (transfer) {
      for (const buffer of transfer) {
        this.#transfer.push(buffer);
      }
    }
    this.#later();
  }

  #later(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(this.#scheduledFlush);
  }

  /**
   * Copies a small `data` or `write` message into the batch's payload: one
   * buffer moved per post costs far less than one per message, whose bytes
   * a runtime clones or moves one by one (a third of the CPU per relayed
   * echo on Deno). A payload stays under `PAYLOAD_MAX`, so a chunk a
   * handler keeps holds little else alive.
   */
  #pack(kind: number, id: number, bytes: Uint8Array): void {
    const size = bytes.length;
    if (this.#payload && this.#payload.used + RECORD + size > PAYLOAD_MAX) {
      this.#flush();
    }
    const payload = this.#payload ??= newPayload();
    const at = payload.used;
    if (at + RECORD + size > payload.bytes.length) grow(payload, RECORD + size);
    payload.view.setUint8(at, kind);
    payload.view.setUint32(at + 1, size);
    payload.view.setFloat64(at + 5, id);
    payload.bytes.set(bytes, at + RECORD);
    payload.used = at + RECORD + size;
    // Consecutive records count as one number among the messages.
    const last = this.#messages.length - 1;
    if (typeof this.#messages[last] === "number") {
      this.#messages[last] = (this.#messages[last] as number) + 1;
    } else this.#messages.push(1);
  }

  /** Posts what is queued now: a message sent another way must follow it. */
  flush(): void {
    this.#flush();
  }

  /** Drops what is queued: the other thread is gone. */
  clear(): void {
    this.#messages = [];
    this.#transfer = [];
    this.#payload = undefined;
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
    const payload = this.#payload;
    if (payload) {
      this.#payload = undefined;
      const bytes = payload.bytes.subarray(0, payload.used);
      messages.push(bytes);
      transfer.push(bytes.buffer as ArrayBuffer);
    }
    this.#post(messages.length === 1 ? messages[0] : messages, transfer);
  }
}

/** The messages a payload carries, by their number in a record. */
const PACKED = ["data", "write"];
/** Larger chunks move in buffers of their own: their copy would cost more. */
const PACKED_MAX = 4096;
const PAYLOAD_MAX = 64 * 1024;
/** A record: kind (u8), size (u32), id (f64), then the bytes. */
const RECORD = 13;

interface Packable {
  t: string;
  id: number;
  bytes?: Uint8Array;
}

interface Payload {
  bytes: Uint8Array;
  view: DataView;
  used: number;
}

function newPayload(): Payload {
  const bytes = new Uint8Array(4096);
  return { bytes, view: new DataView(bytes.buffer), used: 0 };
}

function grow(payload: Payload, more: number): void {
  let size = payload.bytes.length * 2;
  while (size < payload.used + more) size *= 2;
  const bytes = new Uint8Array(size);
  bytes.set(payload.bytes.subarray(0, payload.used));
  payload.bytes = bytes;
  payload.view = new DataView(bytes.buffer);
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
  const last = data[data.length - 1];
  if (!(last instanceof Uint8Array)) {
    for (const message of data) deliver(message);
    return;
  }
  // A packed batch: each number n stands for the payload's next n records.
  const view = new DataView(last.buffer, last.byteOffset, last.byteLength);
  let at = 0;
  for (let i = 0; i < data.length - 1; i++) {
    const item = data[i];
    if (typeof item !== "number") {
      deliver(item);
      continue;
    }
    for (let n = item; n > 0; n--) {
      const size = view.getUint32(at + 1);
      const start = at + RECORD;
      deliver({
        t: PACKED[view.getUint8(at)],
        id: view.getFloat64(at + 5),
        bytes: last.subarray(start, start + size),
      } as T);
      at = start + size;
    }
  }
}
