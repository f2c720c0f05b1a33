/**
 * An in-memory connection: two pipes, one each way, and the `StreamConn`
 * rules on top (linger on close, reset on abort).
 *
 * @module
 */

import {
  closedConnectionError,
  connectionError,
  SocketError,
} from "../../src/errors.ts";
import {
  DEFAULT_READ_BUFFER_SIZE,
  type SocketAddress,
  type StreamConn,
} from "../../src/transport.ts";
import { linger } from "../_shared/linger.ts";
import { Pipe } from "./pipe.ts";

/** What `recv()` returns at end of stream. */
const EMPTY = new Uint8Array(0);

/** One end of an in-memory connection. */
export class MemoryConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  readBufferSize: number = DEFAULT_READ_BUFFER_SIZE;
  #in: Pipe;
  #out: Pipe;
  #closed = false;

  constructor(local: A, remote: A, incoming: Pipe, outgoing: Pipe) {
    this.localAddress = local;
    this.remoteAddress = remote;
    this.#in = incoming;
    this.#out = outgoing;
  }

  read(): Promise<Uint8Array | null> {
    return this.#read(this.readBufferSize);
  }

  recv(max: number): Promise<Uint8Array> {
    return this.#read(Math.min(max, this.readBufferSize)).then((chunk) =>
      chunk ?? EMPTY
    );
  }

  #read(max: number): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    return this.#in.read(max).catch((error) => {
      throw connectionError(
        error,
        "ECONNRESET",
        "recv from",
        this.remoteAddress,
      );
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(closedConnectionError(this.remoteAddress));
    }
    const written = this.#out.write(data);
    return written.catch((error) => {
      throw connectionError(error, "EPIPE", "send to", this.remoteAddress);
    });
  }

  closeWrite(): Promise<void> {
    if (!this.#closed) this.#out.end();
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.closeReader();
    this.#out.end();
    if (this.#out.drained) return;
    // Writes nobody awaited still wait for room: let them drain, not forever.
    this.#out.onDrained = linger(() => this.#reset());
  }

  abort(): void {
    this.#closed = true;
    this.#in.closeReader();
    this.#reset();
  }

  setNoDelay(_enable: boolean): void {}

  #reset(): void {
    this.#out.reset(
      new SocketError("ECONNRESET", "the peer reset the connection"),
    );
  }
}

/**
 * Two connected ends: what one writes, the other reads.
 *
 * @param a The first end's address.
 * @param b The second end's address.
 * @returns The end at `a` and the end at `b`.
 */
export function connectedPair<A extends SocketAddress>(
  a: A,
  b: A,
): [MemoryConn<A>, MemoryConn<A>] {
  const toA = new Pipe();
  const toB = new Pipe();
  return [new MemoryConn(a, b, toA, toB), new MemoryConn(b, a, toB, toA)];
}
