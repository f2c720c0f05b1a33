/**
 * Bun's UDP sockets (`Bun.udpSocket`): datagrams pushed into a bounded
 * queue, and sends the kernel refused kept until `drain`.
 *
 * @module
 */

import { type Deferred, deferred } from "../../src/_deferred.ts";
import {
  NotSupportedError,
  SocketError,
  toSocketError,
} from "../../src/errors.ts";
import type {
  Datagram,
  DatagramEndpoint,
  NetAddress,
  UdpBindOptions,
} from "../../src/transport.ts";
import { DatagramQueue, truncate } from "../_shared/push_queue.ts";
import { bun, type BunUdpSocket } from "./api.ts";

class BunDatagramEndpoint implements DatagramEndpoint<NetAddress> {
  address: NetAddress = { hostname: "", port: 0 };
  readonly fd: undefined = undefined;
  readonly queue: DatagramQueue<NetAddress> = new DatagramQueue();
  #socket: BunUdpSocket | undefined;
  /** Sends the kernel refused for now, retried from `drain`. */
  #blocked: { data: Uint8Array; to: NetAddress; done: Deferred<void> }[] = [];

  /** Binds this endpoint to the socket Bun opened for it. */
  attach(socket: BunUdpSocket): void {
    this.#socket = socket;
    this.address = { hostname: socket.hostname, port: socket.port };
  }

  async receive(maxSize: number): Promise<Datagram<NetAddress>> {
    const { data, from } = await this.queue.receive();
    return { data: truncate(data, maxSize), from };
  }

  send(data: Uint8Array, to: NetAddress): Promise<void> {
    if (this.#blocked.length === 0) {
      try {
        if (this.#socket!.send(data, to.port, to.hostname)) {
          return Promise.resolve();
        }
      } catch (error) {
        return Promise.reject(toSocketError(error, "EIO"));
      }
    }
    const done = deferred();
    this.#blocked.push({ data, to, done });
    return done.promise;
  }

  onDrain(): void {
    while (this.#blocked.length > 0) {
      const { data, to, done } = this.#blocked[0];
      try {
        if (!this.#socket!.send(data, to.port, to.hostname)) return;
        done.resolve();
      } catch (error) {
        done.reject(toSocketError(error, "EIO"));
      }
      this.#blocked.shift();
    }
  }

  close(): Promise<void> {
    this.queue.close();
    this.#socket?.close();
    const closed = new SocketError("EBADF", "the socket is closed");
    for (const { done } of this.#blocked.splice(0)) done.reject(closed);
    return Promise.resolve();
  }
}

/** Why `Bun.udpSocket` cannot share a port. */
export const NO_UDP_REUSE_PORT =
  "Bun.udpSocket has no SO_REUSEPORT; pass the node driver from adapters/node.ts, whose node:dgram has it on Bun";

/** Binds a UDP socket. */
export async function bindUdp(
  options: UdpBindOptions,
): Promise<DatagramEndpoint<NetAddress>> {
  if (options.reusePort) {
    throw new NotSupportedError(`allowReusePort: ${NO_UDP_REUSE_PORT}`);
  }
  const endpoint = new BunDatagramEndpoint();
  try {
    // Bun silently ignores unknown options, so only known ones are passed.
    const socket = await bun().udpSocket({
      hostname: options.hostname,
      port: options.port,
      binaryType: "uint8array",
      socket: {
        data: (_s, data, port, hostname) =>
          endpoint.queue.push(data, { hostname, port }),
        drain: () => endpoint.onDrain(),
        error() {}, // ICMP errors of earlier sends; not fatal
      },
    });
    endpoint.attach(socket);
    return endpoint;
  } catch (error) {
    throw toSocketError(error, "ENOTFOUND");
  }
}
