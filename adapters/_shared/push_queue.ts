/**
 * Pull interfaces over push runtimes. Bun and Node hand over data,
 * connections and datagrams through callbacks; these queues let the core read and accept
 * by pull, with a bound on what waits in memory.
 *
 * @module
 */

import { type Deferred, deferred } from "../../src/_deferred.ts";
import { ServerClosedError } from "../../src/errors.ts";
import {
  type Datagram,
  DATAGRAM_QUEUE_BYTES,
  DATAGRAM_QUEUE_COUNT,
  DEFAULT_READ_BUFFER_SIZE,
} from "../../src/transport.ts";

/** What `recv()` returns at end of stream. */
const EMPTY = new Uint8Array(0);
/** No queued chunks, shared until a queue has some; never added to. */
const NO_CHUNKS: Uint8Array[] = [];

/** What a {@linkcode ReadQueue} pauses and resumes: the socket. */
export interface Flow {
  /** Stops the runtime reading the socket. */
  pause(): unknown;
  /** Starts it again. */
  resume(): unknown;
}

/**
 * Bytes pushed by a socket's data callback, read by pull. Past
 * `readBufferSize` queued bytes it calls `pause` (the runtime stops reading
 * the socket, so the kernel window closes); once reads bring it below, it
 * calls `resume`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReadQueue } from "./push_queue.ts";
 *
 * const events: string[] = [];
 * const queue = new ReadQueue({
 *   pause: () => events.push("pause"),
 *   resume: () => events.push("resume"),
 * });
 * queue.readBufferSize = 4;
 * queue.push(new Uint8Array(5));
 * assert.deepEqual(events, ["pause"]);
 * assert.equal((await queue.read())?.length, 5);
 * assert.deepEqual(events, ["pause", "resume"]);
 * queue.end();
 * assert.equal(await queue.read(), null);
 * ```
 */
export class ReadQueue {
  /** Queued bytes past which the socket is paused. */
  readBufferSize: number = DEFAULT_READ_BUFFER_SIZE;
  #flow: Flow;
  #chunks: Uint8Array[] = NO_CHUNKS;
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: Error | undefined;
  /** A waiting read's settle functions (no Deferred object: one per read). */
  #resolveRead: ((chunk: Uint8Array | null) => void) | undefined;
  #rejectRead: ((error: Error) => void) | undefined;
  /** The waiting read's most bytes ({@linkcode recv}); else `Infinity`. */
  #max = Infinity;
  /** What the waiting read gets at end of stream: `null`, or empty bytes. */
  #atEnd: Uint8Array | null = null;
  /** The queue whose read is creating its promise, for #waitRead. */
  static #waiting: ReadQueue | undefined;

  /**
   * The executor of every read's promise: one function for all queues, not
   * a closure per connection (the promise runs it at once).
   */
  static #waitRead(
    resolve: (chunk: Uint8Array | null) => void,
    reject: (error: Error) => void,
  ): void {
    const queue = ReadQueue.#waiting!;
    queue.#resolveRead = resolve;
    queue.#rejectRead = reject;
  }

  /**
   * @param flow The socket itself, where it has `pause()` and `resume()`
   * (no closures per connection): `pause()` stops the runtime reading it,
   * `resume()` starts it again.
   */
  constructor(flow: Flow) {
    this.#flow = flow;
  }

  /** Whether the stream has ended (end of stream, error or close). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Adds a chunk from the data callback; hands it straight to a waiting read.
   *
   * @param chunk Bytes the caller gives up.
   */
  push(chunk: Uint8Array): void {
    const resolve = this.#resolveRead;
    if (resolve) {
      this.#resolveRead = this.#rejectRead = undefined;
      const max = this.#max;
      if (chunk.length <= max) return resolve(chunk);
      // A recv() for less: the rest waits for the next read.
      this.#max = Infinity;
      resolve(chunk.subarray(0, max));
      chunk = chunk.subarray(max);
    }
    if (this.#chunks === NO_CHUNKS) this.#chunks = [];
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= this.readBufferSize && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /**
   * Marks the end of the stream: reads drain the queue, then return `null`,
   * or reject with `error`. Later calls change nothing.
   *
   * @param error Why the stream failed, if it did.
   */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const resolve = this.#resolveRead, reject = this.#rejectRead;
    this.#resolveRead = this.#rejectRead = undefined;
    if (error) reject?.(error);
    else resolve?.(this.#atEnd);
  }

  /** Ends the stream and drops what is queued (the connection closed). */
  clear(): void {
    this.#chunks = NO_CHUNKS;
    this.#queued = 0;
    this.end();
  }

  /** The next chunk, or `null` at end of stream. One read at a time. */
  read(): Promise<Uint8Array | null> {
    return this.#next(Infinity, null);
  }

  /**
   * The next chunk, at most `max` bytes (the rest stays queued), or empty
   * bytes at end of stream: what `StreamSocket.recv()` returns as it is.
   */
  recv(max: number): Promise<Uint8Array> {
    return this.#next(max, EMPTY) as Promise<Uint8Array>;
  }

  #next(max: number, atEnd: Uint8Array | null): Promise<Uint8Array | null> {
    let chunk = this.#chunks.shift();
    if (chunk) {
      if (chunk.length > max) {
        this.#chunks.unshift(chunk.subarray(max));
        chunk = chunk.subarray(0, max);
      }
      this.#queued -= chunk.length;
      if (this.#paused && this.#queued < this.readBufferSize) {
        this.#paused = false;
        this.#flow.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#ended) {
      return this.#error ? Promise.reject(this.#error) : Promise.resolve(atEnd);
    }
    this.#max = max;
    this.#atEnd = atEnd;
    ReadQueue.#waiting = this;
    const waiting = new Promise<Uint8Array | null>(ReadQueue.#waitRead);
    ReadQueue.#waiting = undefined;
    return waiting;
  }
}

/**
 * Connections pushed by a listener's callback, accepted by pull. At most
 * `limit` wait; past that, and after `close()`, new ones go to `refuse`
 * (which resets them, as a full kernel backlog turns clients away).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AcceptQueue } from "./push_queue.ts";
 *
 * const refused: string[] = [];
 * const queue = new AcceptQueue<string>(1, (item) => refused.push(item));
 * queue.push("a");
 * queue.push("b");
 * assert.equal(await queue.accept(), "a");
 * assert.deepEqual(refused, ["b"]);
 * queue.close();
 * await assert.rejects(queue.accept());
 * ```
 */
export class AcceptQueue<T> {
  #limit: number;
  #refuse: (item: T) => void;
  #items: T[] = [];
  #waiter: Deferred<T> | undefined;
  #closed = false;

  /**
   * @param limit How many may wait to be accepted.
   * @param refuse Turns away one that cannot wait.
   */
  constructor(limit: number, refuse: (item: T) => void) {
    this.#limit = limit;
    this.#refuse = refuse;
  }

  /**
   * Adds a connection from the listener's callback.
   *
   * @param item The new connection.
   */
  push(item: T): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(item);
    } else if (!this.#closed && this.#items.length < this.#limit) {
      this.#items.push(item);
    } else {
      this.#refuse(item);
    }
  }

  /** The next connection; rejects with `ServerClosedError` once closed. */
  accept(): Promise<T> {
    if (this.#closed) return Promise.reject(new ServerClosedError());
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    this.#waiter = deferred();
    return this.#waiter.promise;
  }

  /** Removes and returns what waits, without refusing it. */
  takeAll(): T[] {
    return this.#items.splice(0);
  }

  /** Refuses everything waiting and every later push; fails a waiting accept. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.reject(new ServerClosedError());
    this.#waiter = undefined;
    for (const item of this.#items.splice(0)) this.#refuse(item);
  }
}

/**
 * Datagrams pushed by a socket's message callback, received by pull. At
 * most `limitCount` datagrams and `limitBytes` bytes wait; past either, new
 * ones are dropped and counted, as a full kernel receive buffer drops them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatagramQueue } from "./push_queue.ts";
 *
 * const queue = new DatagramQueue<string>(100, 2);
 * queue.push(new Uint8Array(60), "a");
 * queue.push(new Uint8Array(60), "b"); // over 100 bytes: dropped
 * queue.push(new Uint8Array(0), "c");
 * queue.push(new Uint8Array(0), "d"); // a third datagram: dropped
 * assert.equal(queue.dropped, 2);
 * assert.equal((await queue.receive()).from, "a");
 * queue.close();
 * await assert.rejects(queue.receive());
 * ```
 */
export class DatagramQueue<A> {
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  #limit: number;
  #limitCount: number;
  #items: Datagram<A>[] = [];
  #bytes = 0;
  #waiter: Deferred<Datagram<A>> | undefined;
  #closed = false;

  /**
   * @param limitBytes How many bytes of datagrams may wait (default
   * {@linkcode DATAGRAM_QUEUE_BYTES}).
   * @param limitCount How many datagrams may wait (default
   * {@linkcode DATAGRAM_QUEUE_COUNT}).
   */
  constructor(
    limitBytes: number = DATAGRAM_QUEUE_BYTES,
    limitCount: number = DATAGRAM_QUEUE_COUNT,
  ) {
    this.#limit = limitBytes;
    this.#limitCount = limitCount;
  }

  /**
   * Adds a datagram from the socket's callback.
   *
   * @param data The payload, given up by the caller.
   * @param from The sender.
   */
  push(data: Uint8Array, from: A): void {
    if (this.#closed) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ data, from });
      return;
    }
    if (
      this.#items.length >= this.#limitCount ||
      this.#bytes + data.length > this.#limit
    ) {
      this.dropped++;
      return;
    }
    this.#bytes += data.length;
    this.#items.push({ data, from });
  }

  /** The next datagram; rejects with `ServerClosedError` once closed. */
  receive(): Promise<Datagram<A>> {
    if (this.#closed) return Promise.reject(new ServerClosedError());
    const item = this.#items.shift();
    if (item !== undefined) {
      this.#bytes -= item.data.length;
      return Promise.resolve(item);
    }
    this.#waiter = deferred();
    return this.#waiter.promise;
  }

  /** Drops what waits and fails a waiting receive. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#items = [];
    this.#bytes = 0;
    this.#waiter?.reject(new ServerClosedError());
    this.#waiter = undefined;
  }
}

/**
 * `data` cut to `maxSize` bytes, as `recvfrom` with a short buffer cuts a
 * datagram.
 *
 * @param data A received payload.
 * @param maxSize The receiver's buffer size.
 * @returns `data` or its first `maxSize` bytes.
 */
export function truncate(data: Uint8Array, maxSize: number): Uint8Array {
  return data.length > maxSize ? data.subarray(0, maxSize) : data;
}
