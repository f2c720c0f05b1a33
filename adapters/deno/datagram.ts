/**
 * Deno's datagram sockets (`Deno.listenDatagram`, behind
 * `--unstable-net`): UDP and Unix datagram.
 *
 * @module
 */

import { ServerClosedError, toSocketError } from "../../src/errors.ts";
import type {
  Datagram,
  DatagramEndpoint,
  SocketAddress,
} from "../../src/transport.ts";
import type { DenoAddr, DenoDatagramConn } from "./api.ts";
import { failure } from "./stream.ts";

/** A Deno datagram socket, received into a buffer of the size asked for. */
export class DenoDatagramEndpoint<A extends SocketAddress>
  implements DatagramEndpoint<A> {
  readonly address: A;
  readonly fd: undefined = undefined;
  #conn: DenoDatagramConn;
  #toAddress: (addr: DenoAddr) => A;
  #toDeno: (address: A) => DenoAddr;
  #scratch: Uint8Array | undefined;
  #closed = false;

  constructor(
    conn: DenoDatagramConn,
    toAddress: (addr: DenoAddr) => A,
    toDeno: (address: A) => DenoAddr,
  ) {
    this.#conn = conn;
    this.#toAddress = toAddress;
    this.#toDeno = toDeno;
    this.address = toAddress(conn.addr);
  }

  receive(maxSize: number): Promise<Datagram<A>> {
    if (this.#closed) return Promise.reject(new ServerClosedError());
    // A buffer of exactly maxSize: the kernel cuts longer datagrams, as
    // Python's recvfrom(max_packet_size) does.
    if (this.#scratch?.length !== maxSize) {
      this.#scratch = new Uint8Array(maxSize);
    }
    // Not async: one reaction per datagram instead of a suspended frame.
    return this.#conn.receive(this.#scratch).then(this.#received, this.#failed);
  }

  #received = ([data, from]: [Uint8Array, DenoAddr]): Datagram<A> => ({
    data: data.slice(),
    from: this.#toAddress(from),
  });

  #failed = (error: unknown): never => {
    throw failure(error, this.#closed, "EIO");
  };

  send(data: Uint8Array, to: A): Promise<void> {
    try {
      return this.#conn.send(data, this.#toDeno(to)).then(
        ignore,
        sendFailure,
      );
    } catch (error) {
      return Promise.reject(sendError(error));
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#conn.close(); // its socket file is bindUnixPath's to remove
    }
    return Promise.resolve();
  }
}

function ignore(): void {}

/** A module-level rejection handler: no closure made per datagram. */
function sendFailure(error: unknown): never {
  throw sendError(error);
}

function sendError(error: unknown): Error {
  return toSocketError(
    error,
    /too long/i.test(String(error)) ? "EMSGSIZE" : "EIO",
  );
}
