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

  async receive(maxSize: number): Promise<Datagram<A>> {
    if (this.#closed) throw new ServerClosedError();
    // A buffer of exactly maxSize: the kernel cuts longer datagrams, as
    // Python's recvfrom(max_packet_size) does.
    if (this.#scratch?.length !== maxSize) {
      this.#scratch = new Uint8Array(maxSize);
    }
    try {
      const [data, from] = await this.#conn.receive(this.#scratch);
      return { data: data.slice(), from: this.#toAddress(from) };
    } catch (error) {
      throw failure(error, this.#closed, "EIO");
    }
  }

  async send(data: Uint8Array, to: A): Promise<void> {
    try {
      await this.#conn.send(data, this.#toDeno(to));
    } catch (error) {
      throw toSocketError(
        error,
        /too long/i.test(String(error)) ? "EMSGSIZE" : "EIO",
      );
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
