/**
 * Deno's stream sockets: TCP and Unix listeners accepted by pull, and
 * their connections, read into a buffer sized by {@linkcode ReadSize}.
 *
 * @module
 */

import {
  closedConnectionError,
  connectionError,
  ServerClosedError,
  toSocketError,
} from "../../src/errors.ts";
import {
  DEFAULT_READ_BUFFER_SIZE,
  type NetAddress,
  type SocketAddress,
  type StreamConn,
  type StreamListener,
  type UnixAddress,
} from "../../src/transport.ts";
import type { DenoAddr, DenoConn, DenoListener } from "./api.ts";
import { linger } from "../_shared/linger.ts";
import { ReadSize } from "./read_size.ts";

/** What `recv()` returns at end of stream. */
const EMPTY = new Uint8Array(0);

/** A TCP or UDP address from Deno's. */
export function netAddress(addr: DenoAddr): NetAddress {
  return { hostname: addr.hostname ?? "", port: addr.port ?? 0 };
}

/** A Unix address from Deno's. */
export function unixAddress(addr: DenoAddr): UnixAddress {
  return { path: addr.path ?? "" };
}

/** Maps a Deno error to a `SocketError`, or `ServerClosedError` once closed. */
export function failure(
  error: unknown,
  closed: boolean,
  fallback: string,
): Error {
  return closed ? new ServerClosedError() : toSocketError(error, fallback);
}

/**
 * Read buffers of closed connections, for new ones to reuse: a burst of
 * short connections would otherwise leave one 64 KiB buffer of garbage
 * each, faster than the collector returns it.
 */
const spare: Uint8Array[] = [];
const SPARE_MAX = 64;

function takeScratch(size: number): Uint8Array {
  return (size === DEFAULT_READ_BUFFER_SIZE ? spare.pop() : undefined) ??
    new Uint8Array(size);
}

function spareScratch(buffer: Uint8Array): void {
  if (buffer.length === DEFAULT_READ_BUFFER_SIZE && spare.length < SPARE_MAX) {
    spare.push(buffer);
  }
}

/** A Deno connection: one pending read and writes in call order. */
class DenoStreamConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  readBufferSize: number = DEFAULT_READ_BUFFER_SIZE;
  #conn: DenoConn;
  #scratch: Uint8Array | undefined;
  #size = new ReadSize();
  #reading = false;
  /** Closed by the caller: reads give `null`, new writes fail. */
  #closed = false;
  /** The resource is closed. */
  #released = false;
  /** The last write still in flight; later writes queue behind it. */
  #writing: Promise<void> | undefined;
  /** Writes not yet settled; `#writing` is cleared when none is left. */
  #writes = 0;
  /**
   * The read callbacks, made once per connection and only for the calls it
   * uses (an echo uses recv's two), so a waiting read allocates nothing.
   */
  #onRead: ((n: number | null) => Uint8Array | null) | undefined;
  #onFailed: ((error: unknown) => null) | undefined;
  #onRecv: ((n: number | null) => Uint8Array) | undefined;
  #onRecvFailed: ((error: unknown) => Uint8Array) | undefined;

  constructor(conn: DenoConn, address: (addr: DenoAddr) => A) {
    this.#conn = conn;
    this.localAddress = address(conn.localAddr);
    this.remoteAddress = address(conn.remoteAddr);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    // Not async: a waiting read holds two callbacks made once per
    // connection instead of a suspended frame made per read.
    return this.#conn.read(this.#scratchFor(Infinity)).then(
      this.#onRead ??= (n) => this.#readDone(n),
      this.#onFailed ??= (error) => this.#readFailed(error),
    );
  }

  recv(max: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.resolve(EMPTY);
    // As read(), with end of stream as empty bytes: no step after this one.
    return this.#conn.read(this.#scratchFor(max)).then(
      this.#onRecv ??= (n) => this.#readDone(n) ?? EMPTY,
      this.#onRecvFailed ??= (error) => this.#readFailed(error) ?? EMPTY,
    );
  }

  /**
   * What the next read fills: one scratch buffer per connection, as large
   * as its reads need (an idle client's pending read holds it), cut to
   * `max`; each chunk is copied out.
   */
  #scratchFor(max: number): Uint8Array {
    const size = this.#size.next(this.readBufferSize);
    if (this.#scratch?.length !== size) {
      if (this.#scratch) spareScratch(this.#scratch);
      this.#scratch = takeScratch(size);
    }
    this.#reading = true;
    return max < size ? this.#scratch.subarray(0, max) : this.#scratch;
  }

  #readDone(n: number | null): Uint8Array | null {
    this.#reading = false;
    const scratch = this.#scratch!;
    let chunk: Uint8Array | null = null;
    if (this.#closed) {
      if (this.#released) this.#releaseScratch();
      return null; // what arrives after close() is not the caller's
    }
    if (n !== null) {
      this.#size.record(n, scratch.length);
      chunk = scratch.slice(0, n);
    }
    return chunk;
  }

  #readFailed(error: unknown): null {
    this.#reading = false;
    if (!this.#closed) {
      throw connectionError(error, "EIO", "recv from", this.remoteAddress);
    }
    if (this.#released) this.#releaseScratch();
    return null;
  }

  /** Gives the scratch buffer back once no read can write into it. */
  #releaseScratch(): void {
    if (this.#scratch) spareScratch(this.#scratch);
    this.#scratch = undefined;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(closedConnectionError(this.remoteAddress));
    }
    const previous = this.#writing;
    this.#writes++;
    // Alone (the usual case) a write runs at once, with nothing to chain;
    // behind a failed write it fails with that write's error.
    const current = previous
      ? previous.then(() => this.#writeAll(data), (error) => {
        this.#writes--;
        throw error;
      })
      : this.#writeAll(data);
    this.#writing = current;
    return current;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    try {
      if (this.#released) throw new Error("closed");
      // Deno writes partially under backpressure: loop until all is taken.
      let offset = await this.#conn.write(data);
      while (offset < data.length) {
        offset += await this.#conn.write(data.subarray(offset));
      }
    } catch (error) {
      this.#writes--; // #writing stays failed: so do the writes behind it
      throw this.#released
        ? closedConnectionError(this.remoteAddress, error)
        : connectionError(error, "EPIPE", "send to", this.remoteAddress);
    }
    if (--this.#writes === 0) this.#writing = undefined;
  }

  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const writing = this.#writing;
    if (writing === undefined) return this.#shutWrite();
    // The FIN follows the writes in flight, but nobody waits for a peer
    // that does not read: close() after this lingers, then gives up.
    const shut = () => this.#shutWrite().catch(() => {});
    writing.then(shut, shut);
    return Promise.resolve();
  }

  async #shutWrite(): Promise<void> {
    if (this.#released) return;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      throw connectionError(error, "ENOTCONN", "send to", this.remoteAddress);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const writing = this.#writing;
    if (writing === undefined) return this.#release();
    // Closing the resource would cancel the writes nobody awaited: let them
    // drain first, but not forever.
    const drained = linger(() => this.#release());
    const release = () => {
      drained();
      this.#release();
    };
    writing.then(release, release);
  }

  /** Deno queues no writes of its own: what is in flight is dropped. */
  abort(): void {
    this.#closed = true;
    this.#release();
  }

  /** Closes the resource; a read or write still pending ends with it. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
    if (!this.#reading) this.#releaseScratch();
  }

  setNoDelay(enable: boolean): void {
    this.#conn.setNoDelay?.(enable); // Unix connections have none
  }
}

/** A TCP or Unix listener, accepted by pull. */
export class DenoStreamListener<A extends SocketAddress>
  implements StreamListener<A> {
  readonly address: A;
  readonly fd: undefined = undefined;
  #listener: DenoListener;
  #toAddress: (addr: DenoAddr) => A;
  #closed = false;
  #accepting: Promise<DenoConn> | undefined;

  constructor(listener: DenoListener, toAddress: (addr: DenoAddr) => A) {
    this.#listener = listener;
    this.#toAddress = toAddress;
    this.address = toAddress(listener.addr);
  }

  async accept(): Promise<StreamConn<A>> {
    if (this.#closed) throw new ServerClosedError();
    const accepting = this.#accepting = this.#listener.accept();
    try {
      // One accepted as the listener closes is handed out all the same:
      // its client is in, and the server serves or closes it.
      return new DenoStreamConn(await accepting, this.#toAddress);
    } catch (error) {
      throw failure(error, this.#closed, "EIO");
    } finally {
      if (this.#accepting === accepting) this.#accepting = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    // Deno keeps the port busy until a pending accept() has settled; what
    // it brings is its caller's.
    if (this.#accepting) await this.#accepting.then(() => {}, () => {});
  }
}
