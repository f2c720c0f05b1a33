/**
 * The `Deno.listen` driver: the default on Deno.
 *
 * Permissions: `--allow-net`. `allowReusePort` needs `--unstable-net` (or
 * `"unstable": ["net"]` in deno.json); without it the driver refuses the
 * option instead of letting Deno end the process.
 *
 * @example
 * ```ts
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./deno.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import {
  NotSupportedError,
  ServerClosedError,
  SocketError,
  toSocketError,
} from "../src/errors.ts";
import { DEFAULT_READ_BUFFER_SIZE } from "../src/transport.ts";
import type {
  Driver,
  NetAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
} from "../src/transport.ts";

// The few members of Deno's API this file uses, typed here so the package
// type-checks without Deno's ambient types (tsc, npm consumers).
interface DenoAddr {
  hostname: string;
  port: number;
}
interface DenoConn {
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  read(into: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay(enable?: boolean): void;
}
interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoApi {
  listen(options: {
    hostname: string;
    port: number;
    transport: "tcp";
    reusePort?: boolean;
    tcpBacklog?: number;
  }): DenoListener;
  listenDatagram?: unknown;
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

class DenoStreamConn implements StreamConn {
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  readBufferSize: number = DEFAULT_READ_BUFFER_SIZE;
  #conn: DenoConn;
  #scratch: Uint8Array | undefined;
  #closed = false;
  /** The last write still in flight; later writes queue behind it. */
  #writing: Promise<void> | undefined;

  constructor(conn: DenoConn) {
    this.#conn = conn;
    const { localAddr, remoteAddr } = conn;
    this.localAddress = { hostname: localAddr.hostname, port: localAddr.port };
    this.remoteAddress = {
      hostname: remoteAddr.hostname,
      port: remoteAddr.port,
    };
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    // One scratch buffer per connection; each chunk is copied out at its size.
    if (this.#scratch?.length !== this.readBufferSize) {
      this.#scratch = new Uint8Array(this.readBufferSize);
    }
    let n: number | null;
    try {
      n = await this.#conn.read(this.#scratch);
    } catch (error) {
      if (this.#closed) return null;
      throw toSocketError(error, "EIO");
    }
    return n === null ? null : this.#scratch.slice(0, n);
  }

  write(data: Uint8Array): Promise<void> {
    const previous = this.#writing;
    const current = previous
      ? previous.then(() => this.#writeAll(data))
      : this.#writeAll(data);
    this.#writing = current;
    const settle = () => {
      if (this.#writing === current) this.#writing = undefined;
    };
    current.then(settle, settle);
    return current;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    if (this.#closed) {
      throw new SocketError("EPIPE", "the connection is closed");
    }
    try {
      // Deno writes partially under backpressure: loop until all is taken.
      let offset = await this.#conn.write(data);
      while (offset < data.length) {
        offset += await this.#conn.write(data.subarray(offset));
      }
    } catch (error) {
      if (this.#closed) {
        throw new SocketError("EPIPE", "the connection is closed", {
          cause: error,
        });
      }
      throw toSocketError(error, "EPIPE");
    }
  }

  async closeWrite(): Promise<void> {
    if (this.#writing) await this.#writing.catch(() => {});
    if (this.#closed) return;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      throw toSocketError(error, "ENOTCONN");
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
  }

  setNoDelay(enable: boolean): void {
    this.#conn.setNoDelay(enable);
  }
}

class DenoTcpListener implements StreamListener {
  readonly address: NetAddress;
  readonly fd: undefined = undefined;
  #listener: DenoListener;
  #closed = false;
  #accepting: Promise<DenoConn> | undefined;

  constructor(listener: DenoListener) {
    this.#listener = listener;
    this.address = {
      hostname: listener.addr.hostname,
      port: listener.addr.port,
    };
  }

  async accept(): Promise<StreamConn> {
    if (this.#closed) throw new ServerClosedError();
    const accepting = this.#accepting = this.#listener.accept();
    try {
      const conn = await accepting;
      if (this.#closed) {
        conn.close();
        throw new ServerClosedError();
      }
      return new DenoStreamConn(conn);
    } catch (error) {
      if (this.#closed) throw new ServerClosedError();
      throw toSocketError(error, "EIO");
    } finally {
      if (this.#accepting === accepting) this.#accepting = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    // Deno keeps the port busy until a pending accept() has rejected.
    if (this.#accepting) {
      await this.#accepting.then((conn) => conn.close(), () => {});
    }
  }
}

/** The `Deno.listen` driver. */
export const driver: Driver = {
  name: "deno",
  listenTcp(options: TcpListenOptions): Promise<StreamListener> {
    const api = deno();
    if (options.reusePort && typeof api.listenDatagram !== "function") {
      // Deno exits with code 70 if reusePort is used without the flag.
      return Promise.reject(
        new NotSupportedError(
          "allowReusePort on Deno needs --unstable-net (or the node:net driver from adapters/node.ts)",
        ),
      );
    }
    try {
      const listener = api.listen({
        hostname: options.hostname,
        port: options.port,
        transport: "tcp",
        tcpBacklog: options.backlog,
        ...(options.reusePort ? { reusePort: true } : {}),
      });
      return Promise.resolve(new DenoTcpListener(listener));
    } catch (error) {
      return Promise.reject(
        toSocketError(
          error,
          /lookup address/.test(String(error)) ? "ENOTFOUND" : "EINVAL",
        ),
      );
    }
  },
};
