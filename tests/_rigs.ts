// The drivers the contract suite holds to one contract, each with a way
// for a client to reach it: node:net and node:dgram clients for the
// runtime drivers, the network's own clients for the memory driver.

import { memoryDriver, type MemoryNetwork } from "../adapters/memory/index.ts";
import type { Driver, NetAddress, SocketAddress, StreamConn } from "../mod.ts";
import { Client, DRIVERS, UdpClient } from "./_helpers.ts";
import * as net from "node:net";
import * as tls from "node:tls";

/** A client end of a stream connection, whatever carries it. */
export interface Peer {
  write(data: Uint8Array): Promise<void>;
  /** Bytes written but not yet taken by the network. */
  unsent(): number;
  /** FIN; reading goes on. */
  end(): void;
  /** RST. */
  reset(): void;
  close(): void;
  /** Everything until the server's FIN (or a reset, which ends it too). */
  readAll(ms?: number): Promise<Uint8Array>;
}

/** A client datagram socket. */
export interface UdpPeer {
  readonly address: NetAddress;
  send(data: Uint8Array, to: NetAddress): Promise<void>;
  /** The next datagram, or `null` if none comes within 5 s. */
  receive(): Promise<Uint8Array | null>;
  close(): void;
}

export interface Rig {
  name: string;
  driver: Driver;
  /** Whether Unix listeners leave a file on disk. */
  files: boolean;
  connect(to: SocketAddress): Promise<Peer>;
  /** A TLS client trusting `ca`; absent where the driver has no TLS. */
  connectTls?(to: NetAddress, ca: string): Promise<Peer>;
  udp(): Promise<UdpPeer>;
}

class NetPeer implements Peer {
  #client: Client;
  constructor(client: Client) {
    this.#client = client;
    // Reads nothing until asked, so what the server sends stays in the
    // kernel, as with a client that does not read.
    client.socket.pause();
  }
  write(data: Uint8Array): Promise<void> {
    return this.#client.write(data);
  }
  unsent(): number {
    return this.#client.socket.writableLength;
  }
  end(): void {
    this.#client.end();
  }
  reset(): void {
    this.#client.reset();
  }
  close(): void {
    this.#client.close();
  }
  readAll(ms?: number): Promise<Uint8Array> {
    this.#client.socket.resume();
    return this.#client.readAllBytes(ms);
  }
}

function netRig(driver: Driver): Rig {
  return {
    name: `${driver.name} driver`,
    driver,
    files: true,
    async connect(to) {
      const client = "path" in to
        ? await Client.fromSocket(
          net.connect({ path: to.path, allowHalfOpen: true }),
        )
        : await Client.connect(to.port, to.hostname);
      return new NetPeer(client);
    },
    async connectTls(to, ca) {
      const socket = tls.connect({
        host: to.hostname,
        port: to.port,
        ca,
        servername: "localhost",
      });
      return new NetPeer(await Client.fromSocket(socket, "secureConnect"));
    },
    async udp() {
      const client = await UdpClient.open();
      return {
        address: { hostname: "127.0.0.1", port: client.port },
        send: (data, to) => client.send(data, to.port, to.hostname),
        receive: () => client.receive(),
        close: () => client.close(),
      };
    },
  };
}

class MemoryPeer implements Peer {
  #conn: StreamConn<SocketAddress>;
  #unsent = 0;
  constructor(conn: StreamConn<SocketAddress>) {
    this.#conn = conn;
  }
  write(data: Uint8Array): Promise<void> {
    this.#unsent += data.length;
    return this.#conn.write(data).finally(() => this.#unsent -= data.length);
  }
  unsent(): number {
    return this.#unsent;
  }
  end(): void {
    void this.#conn.closeWrite();
  }
  reset(): void {
    this.#conn.abort();
  }
  close(): void {
    this.#conn.close();
  }
  async readAll(ms = 10_000): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    const deadline = Date.now() + ms;
    try {
      for (let chunk; (chunk = await this.#conn.read()) !== null;) {
        chunks.push(chunk);
        if (Date.now() > deadline) throw new Error(`no end within ${ms} ms`);
      }
    } catch (error) {
      if ((error as { code?: string }).code !== "ECONNRESET") throw error;
    }
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, (at += chunk.length) - chunk.length);
    }
    return all;
  }
}

function memoryRig(network: MemoryNetwork, driver: Driver): Rig {
  return {
    name: "memory driver",
    driver,
    files: false,
    async connect(to) {
      return new MemoryPeer(await network.connect(to));
    },
    async udp() {
      const endpoint = await network.bindUdp({
        hostname: "127.0.0.1",
        port: 0,
        reusePort: false,
      });
      let closed = false;
      return {
        address: endpoint.address,
        send: (data, to) => endpoint.send(data, to),
        receive: async () => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          const late = new Promise<null>((resolve) =>
            timer = setTimeout(() => resolve(null), 5000)
          );
          try {
            return await Promise.race([
              endpoint.receive(65536).then((d) => d.data),
              late,
            ]);
          } finally {
            clearTimeout(timer);
          }
        },
        close: () => {
          if (!closed) void endpoint.close();
          closed = true;
        },
      };
    },
  };
}

/** Every driver on this runtime, and the memory driver. */
export function rigs(): Rig[] {
  const memory = memoryDriver();
  return [
    ...DRIVERS.map(netRig),
    memoryRig(memory.network, memory.driver),
  ];
}
