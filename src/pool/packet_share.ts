/**
 * A worker's UDP socket of its own on the server's port (`SO_REUSEPORT`),
 * in a thread or a child process (`listenInThreads`, `listenInChildren` on
 * a UDP server): the kernel hashes each client to one worker's socket.
 * The handler's replies leave from this socket.
 *
 * Two ways to serve what comes, as the server says:
 * - on its own (`auto`), while the server's `serveForever` runs and it
 *   has no hook that must see each datagram: the worker runs the handler
 *   at once and tells the server only of a failure (for `handleError`).
 *   No message crosses per datagram;
 * - held: the worker tells the server of the datagram, with a copy of its
 *   bytes for `verifyRequest`, and keeps it until the server says to serve
 *   it (`serve`) or not (`drop`).
 *
 * @module
 */

import { ServerClosedError } from "../errors.ts";
import { DatagramSocket } from "../io/datagram_socket.ts";
import { retryBackoff } from "../server/stream_server.ts";
import type {
  Datagram,
  DatagramEndpoint,
  NetAddress,
  UdpBindOptions,
} from "../transport.ts";
import type { FromWorker } from "./messages.ts";
import { Held, HELD_MAX } from "./held.ts";

/** Binds a UDP socket with the sockets of the driver named `driver`. */
export type OpenDatagram = (
  driver: string,
  options: UdpBindOptions,
) => Promise<DatagramEndpoint<NetAddress>>;

/** A worker's UDP socket and the datagrams it holds for the server. */
export class PacketShare {
  /** The socket handlers reply through: one for every datagram. */
  readonly socket: DatagramSocket<NetAddress>;
  #endpoint: DatagramEndpoint<NetAddress>;
  #maxSize: number;
  #send: (message: FromWorker) => void;
  #serve: (datagram: Datagram) => Promise<void>;
  #auto: boolean;
  /** Handlers replying through the socket, not yet returned. */
  #running = 0;
  #held = new Held<Datagram>();
  #closed = false;

  /**
   * @param endpoint The worker's own socket.
   * @param maxSize The server's `maxPacketSize`: longer datagrams are cut.
   * @param send Reports each held datagram to the server.
   * @param serve Runs the handler on a datagram, reporting its failure.
   * @param auto Whether to serve on its own from the start.
   */
  constructor(
    endpoint: DatagramEndpoint<NetAddress>,
    maxSize: number,
    send: (message: FromWorker) => void,
    serve: (datagram: Datagram) => Promise<void>,
    auto: boolean,
  ) {
    this.#endpoint = endpoint;
    this.socket = new DatagramSocket(endpoint);
    this.#maxSize = maxSize;
    this.#send = send;
    this.#serve = serve;
    this.#auto = auto;
    void this.#receiveLoop();
  }

  /**
   * Counts a handler the server had served here until it returns: the
   * socket stays open for its replies, as for those run on the worker's own.
   */
  track(handler: Promise<void>): void {
    this.#running++;
    void handler.then(this.#served, this.#served);
  }

  /** Serves what comes on its own from now on (`true`), or holds it. */
  setAuto(auto: boolean): void {
    this.#auto = auto;
  }

  /** Takes a held datagram out, to serve it; `undefined` if it is gone. */
  take(held: number): Datagram | undefined {
    return this.#held.take(held);
  }

  /** Forgets a datagram the server refused or will not serve. */
  drop(held: number): void {
    this.take(held);
  }

  /**
   * Stops receiving (the server closed its own socket), waits for the
   * handlers running on the worker's own to return, since they reply
   * through the socket, then closes it. Held datagrams are forgotten.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#held.clear();
    while (this.#running > 0) await this.#held.room();
    await this.#endpoint.close().catch(() => {});
  }

  #served = (): void => {
    this.#running--;
    this.#held.wake();
  };

  async #receiveLoop(): Promise<void> {
    let backoff = 0;
    while (!this.#closed) {
      // Past HELD_MAX the kernel's buffer holds what comes, and drops the
      // rest, as it does for a busy server.
      if (this.#held.size + this.#running >= HELD_MAX) {
        await this.#held.room();
        continue;
      }
      let datagram: Datagram;
      try {
        datagram = await this.#endpoint.receive(this.#maxSize);
        backoff = 0;
      } catch (error) {
        if (this.#closed || error instanceof ServerClosedError) return;
        backoff = retryBackoff(backoff, error);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        continue;
      }
      if (this.#closed) return;
      if (this.#auto) {
        this.track(this.#serve(datagram));
        continue;
      }
      const held = this.#held.add(datagram);
      this.#send({
        t: "received",
        held,
        // A buffer of its own: a clone would copy a runtime's whole
        // receive buffer if the datagram is a view into one.
        bytes: datagram.data.slice(),
        from: datagram.from,
      });
    }
  }
}
