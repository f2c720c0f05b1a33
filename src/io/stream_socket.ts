/**
 * The `request` of a stream server: a connected socket with Python's method
 * names, so `recv`/`send`/`sendall` handlers port line for line.
 *
 * @module
 */

import { settlesBy } from "../_deferred.ts";
import { TimeoutError } from "../errors.ts";
import { checkDuration } from "../options.ts";
import type { SocketAddress, StreamConn } from "../transport.ts";
import { toBytes } from "./bytes.ts";

const EMPTY = new Uint8Array(0);
/**
 * What every socket starts with, shared until bytes are put back: an idle
 * connection holds no array of its own. Nothing is ever added to it.
 */
const NOTHING_UNREAD: Uint8Array[] = [];

let connOf: (socket: StreamSocket) => StreamConn<SocketAddress>;

/**
 * The adapter's connection under a request, for a worker pool that hands
 * it to a child process. Not part of the public API (`mod.ts`).
 *
 * @param socket The request.
 * @returns Its connection.
 */
export function streamConnOf(socket: StreamSocket): StreamConn<SocketAddress> {
  return connOf(socket);
}

/**
 * A connected stream socket handed to a request handler as `this.request`.
 *
 * Reads come from one buffer shared with the handler's `rfile`, so mixing
 * `recv()` and `rfile.readline()` never loses bytes. Every read and write
 * honours {@linkcode StreamSocket.timeout}.
 *
 * @example An echo handler that uses the socket directly
 * ```ts
 * import { BaseRequestHandler } from "../../mod.ts";
 *
 * class Echo extends BaseRequestHandler {
 *   override async handle() {
 *     for (;;) {
 *       const data = await this.request.recv(8192);
 *       if (data.length === 0) break; // the client closed
 *       await this.request.sendall(data);
 *     }
 *   }
 * }
 * ```
 */
export class StreamSocket {
  static {
    connOf = (socket) => socket.#conn;
  }
  #conn: StreamConn<SocketAddress>;
  /**
   * Bytes read from the connection but not yet consumed: a stack, whose
   * last chunk (the one most recently put back) is read first.
   */
  #unread: Uint8Array[] = NOTHING_UNREAD;
  /** `#note` bound, made by the first read that needs it. */
  #noted: ((chunk: Uint8Array | null) => Uint8Array | null) | undefined;
  /** A read that outlived a timeout; the next read takes its result. */
  #pendingRead: Promise<Uint8Array | null> | undefined;
  #eof = false;
  #closed = false;
  #timeout: number | null = null;
  #activity = 0;

  /**
   * Wraps an adapter's connection; servers do this for each request.
   *
   * @param conn The adapter's connection.
   */
  constructor(conn: StreamConn<SocketAddress>) {
    this.#conn = conn;
  }

  /** This end's address: `{ hostname, port }`, or `{ path }` for Unix. */
  get localAddress(): SocketAddress {
    return this.#conn.localAddress;
  }

  /** The peer's address (the handler's `clientAddress`). */
  get remoteAddress(): SocketAddress {
    return this.#conn.remoteAddress;
  }

  /**
   * Milliseconds a single read or write may wait before it fails with a
   * `TimeoutError` (Python's `settimeout`); `null` waits forever.
   */
  get timeout(): number | null {
    return this.#timeout;
  }

  set timeout(ms: number | null) {
    checkDuration(ms, "timeout");
    this.#timeout = ms;
  }

  /**
   * How many bytes the runtime may read ahead of the handler (Python's
   * `rbufsize`). A client that sends faster than the handler reads is held
   * back at this point instead of filling memory.
   */
  get readBufferSize(): number {
    return this.#conn.readBufferSize;
  }

  set readBufferSize(bytes: number) {
    if (!Number.isInteger(bytes) || bytes < 1) {
      throw new RangeError(
        `readBufferSize must be a positive integer, got ${bytes}`,
      );
    }
    this.#conn.readBufferSize = bytes;
  }

  /**
   * How many reads have completed and writes started so far. A server
   * compares it between checks to find connections idle for longer than
   * its `idleTimeout`; a counter costs less per chunk than reading a clock.
   */
  get activity(): number {
    return this.#activity;
  }

  /** `true` once {@linkcode StreamSocket.close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Up to `bufsize` bytes; an empty array once the peer has closed its side
   * (Python's `b''`).
   *
   * @param bufsize The most bytes to return.
   * @returns The bytes, at least one unless at end of stream.
   */
  recv(bufsize: number): Promise<Uint8Array> {
    if (!Number.isInteger(bufsize) || bufsize < 0) {
      return Promise.reject(
        new RangeError(
          `bufsize must be a non-negative integer, got ${bufsize}`,
        ),
      );
    }
    if (bufsize === 0) return Promise.resolve(EMPTY);
    const conn = this.#conn;
    if (
      conn.recv !== undefined && this.#unread.length === 0 && !this.#eof &&
      !this.#closed && this.#timeout === null &&
      this.#pendingRead === undefined
    ) {
      // Every echo takes this path: the connection's own promise, nothing
      // after it. Counted as it starts: a read that waits long is idle.
      this.#activity++;
      return conn.recv(bufsize);
    }
    return this.#read().then((read) => {
      const chunk = this.#note(read);
      if (chunk === null) return EMPTY;
      if (chunk.length <= bufsize) return chunk;
      this.unread(chunk.subarray(bufsize));
      return chunk.subarray(0, bufsize);
    });
  }

  /**
   * Sends all of `data` (a string is sent as UTF-8) and returns how many
   * bytes that was. Unlike a raw `send(2)` it never sends part of the data.
   *
   * @param data The bytes or text to send.
   * @returns The number of bytes sent.
   */
  async send(data: Uint8Array | string): Promise<number> {
    const bytes = toBytes(data);
    await this.#write(bytes);
    return bytes.length;
  }

  /**
   * Sends all of `data`; resolves once the kernel has taken it.
   *
   * @param data The bytes or text to send.
   */
  sendall(data: Uint8Array | string): Promise<void> {
    try {
      return this.#write(toBytes(data));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Shuts the write side (Python's `shutdown(SHUT_WR)`): the peer reads end
   * of stream after the data already sent, and can still send to us.
   */
  async shutdown(): Promise<void> {
    if (this.#closed) return;
    await this.#conn.closeWrite();
  }

  /** Closes the connection. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unread = NOTHING_UNREAD;
    this.#conn.close();
  }

  /**
   * Closes the connection at once, dropping bytes not yet sent: for a peer
   * that stopped reading. A write waiting on it fails. Safe to call more
   * than once, and after `close()`.
   */
  abort(): void {
    this.#closed = true;
    this.#unread = NOTHING_UNREAD;
    this.#conn.abort();
  }

  /**
   * Sets `TCP_NODELAY` (Python's `disable_nagle_algorithm`).
   *
   * @param enable `true` to send small writes at once.
   */
  setNoDelay(enable: boolean): void {
    this.#conn.setNoDelay(enable);
  }

  /**
   * The next buffered or received chunk, or `null` at end of stream. This is
   * what `rfile` reads through; protocol parsers may use it with
   * {@linkcode StreamSocket.unread} to avoid copies.
   *
   * @returns Bytes owned by the caller, or `null` at end of stream.
   */
  readChunk(): Promise<Uint8Array | null> {
    return this.#read().then(
      this.#noted ??= (chunk) => this.#note(chunk),
    );
  }

  /**
   * The one way bytes come in: those put back first, then the connection,
   * raced against `timeout` when one is set.
   */
  #read(): Promise<Uint8Array | null> {
    if (this.#unread.length > 0) return Promise.resolve(this.#unread.pop()!);
    if (this.#eof || this.#closed) return Promise.resolve(null);
    if (this.#timeout === null && this.#pendingRead === undefined) {
      return this.#conn.read();
    }
    return this.#readWithin();
  }

  /** What every read records: activity, and the end of the stream. */
  #note(chunk: Uint8Array | null): Uint8Array | null {
    this.#activity++;
    if (chunk === null) this.#eof = true;
    return chunk;
  }

  async #readWithin(): Promise<Uint8Array | null> {
    const read = this.#pendingRead ?? this.#conn.read();
    if (this.#timeout === null) {
      this.#pendingRead = undefined;
      return await read;
    }
    // The read cannot be cancelled; keep it so the next call gets its bytes.
    this.#pendingRead = read;
    try {
      const chunk = await within(read, this.#timeout, "recv");
      this.#pendingRead = undefined;
      return chunk;
    } catch (error) {
      if (!(error instanceof TimeoutError)) this.#pendingRead = undefined;
      throw error;
    }
  }

  /**
   * Puts bytes back in front of the stream, to be read again first.
   *
   * @param chunk Bytes previously returned by a read.
   */
  unread(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.#closed) return;
    if (this.#unread === NOTHING_UNREAD) this.#unread = [];
    this.#unread.push(chunk);
  }

  #write(bytes: Uint8Array): Promise<void> {
    this.#activity++;
    if (this.#timeout === null) return this.#conn.write(bytes);
    return within(this.#conn.write(bytes), this.#timeout, "send");
  }
}

/** `promise`, or a `TimeoutError` if it takes more than `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  if (!await settlesBy(promise, Date.now() + ms)) {
    throw new TimeoutError(`${what} timed out after ${ms} ms`);
  }
  return promise;
}
