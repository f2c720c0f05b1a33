/**
 * A worker's view of the connection or datagram socket the server relays to
 * it: the transport interfaces, implemented over messages, so that
 * `StreamSocket`, `DatagramSocket` and every handler work unchanged.
 *
 * @module
 */

import { type Deferred, deferred } from "../_deferred.ts";
import { NotSupportedError } from "../errors.ts";
import {
  type Datagram,
  type DatagramEndpoint,
  DEFAULT_READ_BUFFER_SIZE,
  type SocketAddress,
  type StreamConn,
} from "../transport.ts";
import { type FromWorker, RELAY_WINDOW } from "./messages.ts";

/** How a worker sends to the server. */
export type SendToServer = (
  message: FromWorker,
  transfer?: ArrayBuffer[],
) => void;

/**
 * A relayed stream connection. Reads come from `data` messages; consumed
 * bytes are acknowledged in batches, so the server sends at most
 * `RELAY_WINDOW` bytes ahead. Writes go out at once and wait only when
 * `RELAY_WINDOW` bytes are not yet written to the socket.
 */
export class RemoteConn implements StreamConn<SocketAddress> {
  readonly localAddress: SocketAddress;
  readonly remoteAddress: SocketAddress;
  readBufferSize: number = DEFAULT_READ_BUFFER_SIZE;
  #id: number;
  #send: SendToServer;
  #chunks: Uint8Array[] = [];
  #eof = false;
  #readError: Error | undefined;
  #arrived: Deferred<void> | undefined;
  #consumed = 0;
  #unwritten = 0;
  #writeError: Error | undefined;
  #written: Deferred<void> | undefined;

  /**
   * @param id The request's number.
   * @param local The server's address.
   * @param remote The client's address.
   * @param send Sends to the server.
   */
  constructor(
    id: number,
    local: SocketAddress,
    remote: SocketAddress,
    send: SendToServer,
  ) {
    this.#id = id;
    this.localAddress = local;
    this.remoteAddress = remote;
    this.#send = send;
  }

  /** Bytes the client sent. */
  push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#wakeReader();
  }

  /** The client closed its side, or reading failed with `error`. */
  end(error?: Error): void {
    this.#eof = true;
    this.#readError = error;
    this.#wakeReader();
  }

  /** The server wrote `n` bytes to the socket, or failed to. */
  written(n: number, error?: Error): void {
    this.#unwritten -= n;
    if (error) this.#writeError ??= error;
    const waiting = this.#written;
    this.#written = undefined;
    waiting?.resolve();
  }

  async read(): Promise<Uint8Array | null> {
    while (this.#chunks.length === 0 && !this.#eof) {
      this.#arrived ??= deferred();
      await this.#arrived.promise;
    }
    const chunk = this.#chunks.shift();
    if (chunk === undefined) {
      if (this.#readError) throw this.#readError;
      return null;
    }
    this.#consumed += chunk.length;
    if (this.#consumed >= RELAY_WINDOW / 2) {
      this.#send({ t: "consumed", id: this.#id, n: this.#consumed });
      this.#consumed = 0;
    }
    return chunk;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#writeError) throw this.#writeError;
    this.#unwritten += data.length;
    // The link copies it as it sends (batch.ts): the caller may reuse data.
    this.#send({ t: "write", id: this.#id, bytes: data });
    while (this.#unwritten >= RELAY_WINDOW && !this.#writeError) {
      this.#written ??= deferred();
      await this.#written.promise;
    }
    if (this.#writeError) throw this.#writeError;
  }

  closeWrite(): Promise<void> {
    this.#send({ t: "closeWrite", id: this.#id });
    return Promise.resolve();
  }

  /** The server owns the socket; closing the relay is all a worker can do. */
  abort(): void {
    this.close();
  }

  close(): void {
    // The server closes the socket once the handler is done.
    this.end();
  }

  setNoDelay(enable: boolean): void {
    this.#send({ t: "noDelay", id: this.#id, enable });
  }

  #wakeReader(): void {
    const waiting = this.#arrived;
    this.#arrived = undefined;
    waiting?.resolve();
  }
}

/**
 * The server's datagram socket, seen from a worker: `send` asks the server
 * to send and waits for the outcome, so errors such as `EMSGSIZE` reach the
 * handler as they would on the server.
 */
export class RemoteEndpoint implements DatagramEndpoint<SocketAddress> {
  readonly address: SocketAddress;
  readonly fd: number | undefined = undefined;
  #id: number;
  #send: SendToServer;
  #pending: Map<number, Deferred<void>>;
  #nextSeq: () => number;

  /**
   * @param id The request's number.
   * @param address The server's address.
   * @param send Sends to the server.
   * @param pending Where the answer to each `sendto` is awaited, by number.
   * @param nextSeq Numbers the `sendto` calls.
   */
  constructor(
    id: number,
    address: SocketAddress,
    send: SendToServer,
    pending: Map<number, Deferred<void>>,
    nextSeq: () => number,
  ) {
    this.#id = id;
    this.address = address;
    this.#send = send;
    this.#pending = pending;
    this.#nextSeq = nextSeq;
  }

  receive(): Promise<Datagram<SocketAddress>> {
    return Promise.reject(
      new NotSupportedError("a worker cannot receive from the server's socket"),
    );
  }

  send(data: Uint8Array, to: SocketAddress): Promise<void> {
    const seq = this.#nextSeq();
    const sent = deferred();
    this.#pending.set(seq, sent);
    const bytes = data.slice(); // never detach the caller's buffer
    this.#send({ t: "sendto", id: this.#id, seq, bytes, to }, [bytes.buffer]);
    return sent.promise;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
