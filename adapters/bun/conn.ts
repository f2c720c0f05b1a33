/**
 * A Bun connection: Bun pushes data into callbacks and drops whatever the
 * kernel refuses to take from `write()`. {@linkcode BunConn} turns that into
 * the core's pull interface: reads come from a bounded queue (the socket
 * is paused past `readBufferSize`) and unsent bytes are kept and sent from
 * `drain`.
 *
 * @module
 */

import { type Deferred, deferred } from "../../src/_deferred.ts";
import { closedConnectionError, connectionError } from "../../src/errors.ts";
import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import { linger } from "../_shared/linger.ts";
import { ReadQueue } from "../_shared/push_queue.ts";
import type { BunSocket } from "./api.ts";

type PendingWrite = { data: Uint8Array; done: Deferred<void> };

/** No unsent bytes, shared by every connection until one has some. */
const NONE: PendingWrite[] = [];

/** What a connection Bun closed unasked failed with. */
const RESET = Object.assign(new Error("connection reset by peer"), {
  code: "ECONNRESET",
});

/** One Bun socket as a `StreamConn`. */
export class BunConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  readonly input: ReadQueue;
  #socket: BunSocket;
  #closed = false;
  /** This side shut down or closed the connection (or began to). */
  #shut = false;
  /** Bun closed it unasked: the peer reset it (see `onClose`). */
  #reset = false;
  /** Bytes Bun did not take yet, oldest first. */
  #unsent: PendingWrite[] = NONE;
  /** What to do once `#unsent` is empty: send FIN, or close. */
  #afterFlush: "shutdown" | "end" | undefined;
  /** Stops the linger once the connection closed. */
  #drained: (() => void) | undefined;
  /** Takes a TLS connection off its listener's handshakes in progress. */
  endHandshake: (() => void) | undefined;

  constructor(socket: BunSocket, localAddress: A, remoteAddress: A) {
    this.#socket = socket;
    this.localAddress = localAddress;
    this.remoteAddress = remoteAddress;
    this.input = new ReadQueue(socket);
  }

  get readBufferSize(): number {
    return this.input.readBufferSize;
  }

  set readBufferSize(bytes: number) {
    this.input.readBufferSize = bytes;
  }

  onClose(error?: Error): void {
    this.#closed = true;
    // Half-open sockets outlive the peer's FIN, so Bun closing one unasked
    // and without an error means the kernel saw it gone both ways: a reset
    // that came while the socket was paused, which Bun reports as an end.
    // Bun's children adopt sockets paused, so a client that resets at once
    // is common there.
    this.#reset = !error && !this.#shut;
    this.#drained?.();
    this.endHandshake?.();
    this.input.end(
      error || this.#reset
        ? connectionError(
          error ?? RESET,
          "ECONNRESET",
          "recv from",
          this.remoteAddress,
        )
        : undefined,
    );
    if (this.#unsent.length === 0) return;
    const failure = this.#closedError();
    for (const pending of this.#unsent.splice(0)) pending.done.reject(failure);
  }

  /**
   * A write that found the socket closed before Bun said so: gone unasked,
   * as in `onClose`, unless this side closed it.
   */
  #gone(): Error {
    if (!this.#shut) this.#reset = true;
    return this.#closedError();
  }

  /** A write to a closed connection. */
  #closedError(): Error {
    return this.#reset
      ? connectionError(RESET, "ECONNRESET", "send to", this.remoteAddress)
      : closedConnectionError(this.remoteAddress);
  }

  onDrain(): void {
    const queue = this.#unsent;
    while (queue.length > 0) {
      const head = queue[0];
      const n = this.#socket.write(head.data);
      if (n < 0) return this.onClose();
      if (n < head.data.length) {
        head.data = head.data.subarray(n);
        return;
      }
      queue.shift();
      head.done.resolve();
    }
    if (this.#afterFlush === "shutdown") this.#socket.shutdown();
    if (this.#afterFlush === "end") this.#socket.end();
    this.#afterFlush = undefined;
  }

  read(): Promise<Uint8Array | null> {
    return this.input.read();
  }

  recv(max: number): Promise<Uint8Array> {
    return this.input.recv(max);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#unsent.length === 0) {
      const n = this.#socket.write(data);
      if (n === data.length) return Promise.resolve();
      if (n < 0) return Promise.reject(this.#gone());
      data = data.subarray(n);
    }
    const done = deferred();
    if (this.#unsent === NONE) this.#unsent = [];
    this.#unsent.push({ data, done });
    return done.promise;
  }

  closeWrite(): Promise<void> {
    this.#shut = true;
    if (this.#closed) return Promise.resolve();
    if (this.#unsent.length > 0) this.#afterFlush = "shutdown";
    else this.#socket.shutdown();
    return Promise.resolve();
  }

  close(): void {
    this.#shut = true;
    this.input.clear();
    if (this.#closed) return;
    if (this.#unsent.length === 0) {
      this.#closed = true;
      this.#socket.end();
      return;
    }
    // Writes nobody awaited are still queued: let them drain, but not forever.
    this.#afterFlush = "end";
    this.#drained = linger(() => this.#socket.terminate());
  }

  abort(): void {
    this.#shut = true;
    this.input.clear();
    if (this.#closed) return;
    this.#socket.terminate(); // close() runs onClose: pending writes reject
  }

  setNoDelay(enable: boolean): void {
    if ("port" in this.remoteAddress) this.#socket.setNoDelay(enable);
  }

  /** Turns the client away with a reset, as a full kernel backlog would. */
  reset(): void {
    this.#shut = true;
    this.#closed = true;
    this.#socket.terminate();
  }
}
