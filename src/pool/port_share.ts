/**
 * A worker's listener of its own on the server's port (`SO_REUSEPORT`),
 * in a thread or a child process (`listenInThreads`, `listenInChildren`).
 * The kernel spreads new connections over the workers' listeners; each
 * worker accepts its own, TLS handshake included, and tells the
 * server, which keeps `verifyRequest`, `maxConnections` and the count of
 * requests: the connection waits here, unread, until the server says to
 * serve it (`serve`) or close it (`drop`). No byte of it passes the
 * server's thread.
 *
 * @module
 */

import { ServerClosedError } from "../errors.ts";
import { retryBackoff } from "../server/stream_server.ts";
import type {
  NetAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
} from "../transport.ts";
import { Held, HELD_MAX } from "./held.ts";
import type { FromWorker } from "./messages.ts";

/** Opens a listener with the sockets of the driver named `driver`. */
export type OpenListener = (
  driver: string,
  options: TcpListenOptions,
) => Promise<StreamListener<NetAddress>>;

/** A worker's listener and the connections it holds for the server. */
export class PortShare {
  #listener: StreamListener<NetAddress>;
  #send: (message: FromWorker) => void;
  #held = new Held<StreamConn<NetAddress>>();
  #closed = false;

  /**
   * @param listener The worker's own listener.
   * @param send Reports each connection to the server.
   */
  constructor(
    listener: StreamListener<NetAddress>,
    send: (message: FromWorker) => void,
  ) {
    this.#listener = listener;
    this.#send = send;
    void this.#acceptLoop();
  }

  /**
   * Takes a held connection out, to serve it; `undefined` if it is gone
   * (the server asked after the worker closed it).
   */
  take(held: number): StreamConn<NetAddress> | undefined {
    return this.#held.take(held);
  }

  /** Closes a held connection the server refused or will not serve. */
  drop(held: number): void {
    this.take(held)?.close();
  }

  /**
   * Closes the listener; connections held stay until the server serves or
   * drops them (it may serve those it took as it closes).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#held.wake();
    await this.#listener.close().catch(() => {});
  }

  async #acceptLoop(): Promise<void> {
    let backoff = 0;
    while (!this.#closed) {
      if (this.#held.size >= HELD_MAX) {
        await this.#held.room();
        continue;
      }
      let conn: StreamConn<NetAddress>;
      try {
        conn = await this.#listener.accept();
        backoff = 0;
      } catch (error) {
        if (this.#closed || error instanceof ServerClosedError) return;
        // Longer while out of descriptors: the loop must not spin.
        backoff = retryBackoff(backoff, error);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        continue;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      const held = this.#held.add(conn);
      this.#send({
        t: "accepted",
        held,
        local: conn.localAddress,
        remote: conn.remoteAddress,
      });
    }
  }
}
