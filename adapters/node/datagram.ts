/**
 * Node's UDP sockets (`node:dgram`): datagrams pushed into a bounded queue.
 * They run on Deno's and Bun's `node:dgram` too.
 *
 * @module
 */

import * as dgram from "node:dgram";
import { toSocketError } from "../../src/errors.ts";
import type {
  Datagram,
  DatagramEndpoint,
  NetAddress,
  SocketAddress,
  UdpBindOptions,
} from "../../src/transport.ts";
import { handleFd, plain } from "../_node/conn.ts";
import { DatagramQueue, truncate } from "../_shared/push_queue.ts";
import { bindError } from "./stream.ts";

/** A `dgram.Socket` as a `DatagramEndpoint`. */
class NodeDatagramEndpoint<A extends SocketAddress>
  implements DatagramEndpoint<A> {
  readonly address: A;
  readonly queue: DatagramQueue<A> = new DatagramQueue();
  #socket: dgram.Socket;
  #closing: Promise<void> | undefined;

  constructor(socket: dgram.Socket, address: A) {
    this.#socket = socket;
    this.address = address;
  }

  get fd(): number | undefined {
    return handleFd(this.#socket);
  }

  async receive(maxSize: number): Promise<Datagram<A>> {
    const { data, from } = await this.queue.receive();
    return { data: truncate(data, maxSize), from };
  }

  send(data: Uint8Array, to: A): Promise<void> {
    const { hostname, port } = to as unknown as NetAddress;
    return new Promise((resolve, reject) => {
      this.#socket.send(data, port, hostname, (error) => {
        if (error) reject(toSocketError(error, "EIO"));
        else resolve();
      });
    });
  }

  close(): Promise<void> {
    this.queue.close();
    // Idempotent: Deno's node:dgram never calls back a second close().
    return this.#closing ??= new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

/** Binds a UDP socket; an IPv6 literal gives an IPv6 one. */
export async function bindUdp(
  options: UdpBindOptions,
): Promise<DatagramEndpoint<NetAddress>> {
  const socket = dgram.createSocket({
    type: options.hostname.includes(":") ? "udp6" : "udp4",
    ...(options.reusePort ? { reusePort: true, reuseAddr: false } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (error) => {
      socket.close();
      reject(bindError(error, options.hostname));
    });
    socket.bind({ address: options.hostname, port: options.port }, () => {
      socket.removeAllListeners("error");
      resolve();
    });
  });
  const bound = socket.address();
  const endpoint = new NodeDatagramEndpoint<NetAddress>(socket, {
    hostname: bound.address,
    port: bound.port,
  });
  socket.on("message", (message, remote) => {
    endpoint.queue.push(plain(message), {
      hostname: remote.address,
      port: remote.port,
    });
  });
  // ICMP errors of earlier sends surface here; they are not fatal.
  socket.on("error", () => {});
  return endpoint;
}
