/**
 * The `node:net` driver. It is the default on Node, and works on Deno and Bun
 * too through their Node compatibility (pass it as the `driver` option).
 *
 * @example Forcing `node:net` on any runtime
 * ```ts
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./node.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import * as net from "node:net";
import { type Deferred, deferred } from "../src/_deferred.ts";
import {
  NotSupportedError,
  ServerClosedError,
  SocketError,
  toSocketError,
} from "../src/errors.ts";
import type {
  Driver,
  NetAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
} from "../src/transport.ts";

/** How long `close()` lets queued writes drain to a peer before dropping them. */
const LINGER_MS = 10_000;
const DEFAULT_READ_BUFFER = 65536;

/** A write failure; Node's own "stream closed" errors become `EPIPE`. */
function writeError(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code.startsWith("ERR_STREAM")) {
    return new SocketError("EPIPE", "the connection is closed", {
      cause: error,
    });
  }
  return toSocketError(error, "EPIPE");
}

class NodeConn implements StreamConn {
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  readBufferSize = DEFAULT_READ_BUFFER;
  #socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #error: Error | undefined;
  #reader: Deferred<Uint8Array | null> | undefined;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.localAddress = {
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    this.remoteAddress = {
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("end", () => this.#finish(undefined));
    socket.on("error", (error) => this.#finish(toSocketError(error, "EIO")));
    socket.on("close", () => this.#finish(undefined));
  }

  #onData(chunk: Uint8Array): void {
    // A plain Uint8Array view, so results compare equal on every runtime.
    const bytes = new Uint8Array(
      chunk.buffer,
      chunk.byteOffset,
      chunk.byteLength,
    );
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      reader.resolve(bytes);
      return;
    }
    this.#chunks.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued >= this.readBufferSize && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #finish(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const reader = this.#reader;
    this.#reader = undefined;
    if (!reader) return;
    if (error) reader.reject(error);
    else reader.resolve(null);
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#queued -= chunk.length;
      if (this.#paused && this.#queued < this.readBufferSize) {
        this.#paused = false;
        this.#socket.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#ended) {
      return this.#error ? Promise.reject(this.#error) : Promise.resolve(null);
    }
    this.#reader = deferred();
    return this.#reader.promise;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      // The callback runs once Node has handed the bytes to the kernel.
      this.#socket.write(data, (error) => {
        if (error) reject(writeError(error));
        else resolve();
      });
    });
  }

  closeWrite(): Promise<void> {
    if (!this.#socket.destroyed) this.#socket.end();
    return Promise.resolve();
  }

  close(): void {
    const socket = this.#socket;
    this.#chunks = [];
    this.#queued = 0;
    this.#finish(undefined);
    if (socket.destroyed) return;
    if (socket.writableLength === 0) {
      socket.destroy();
      return;
    }
    // Writes nobody awaited are still queued: let them drain, but not forever.
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    socket.once("finish", () => {
      clearTimeout(timer);
      socket.destroy();
    });
    socket.once("close", () => clearTimeout(timer));
  }

  setNoDelay(enable: boolean): void {
    this.#socket.setNoDelay(enable);
  }

  /** Turns the client away with a reset, as a full kernel backlog would. */
  reset(): void {
    if (typeof this.#socket.resetAndDestroy === "function") {
      this.#socket.resetAndDestroy();
    } else {
      this.#socket.destroy();
    }
  }
}

class NodeListener implements StreamListener {
  readonly address: NetAddress;
  #server: net.Server;
  #backlog: number;
  #queue: NodeConn[] = [];
  #waiter: Deferred<StreamConn> | undefined;
  #closed = false;

  constructor(server: net.Server, backlog: number) {
    this.#server = server;
    this.#backlog = backlog;
    const bound = server.address() as net.AddressInfo;
    this.address = { hostname: bound.address, port: bound.port };
    server.on("connection", (socket: net.Socket) => this.#onConnection(socket));
    // Accept failures (EMFILE, ...) lose that one client; the server goes on.
    server.on("error", () => {});
  }

  get fd(): number | undefined {
    const fd = (this.#server as unknown as { _handle?: { fd?: unknown } })
      ._handle?.fd;
    return typeof fd === "number" && fd >= 0 ? fd : undefined;
  }

  #onConnection(socket: net.Socket): void {
    const conn = new NodeConn(socket);
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(conn);
    } else if (!this.#closed && this.#queue.length < this.#backlog) {
      this.#queue.push(conn);
    } else {
      conn.reset();
    }
  }

  accept(): Promise<StreamConn> {
    if (this.#closed) return Promise.reject(new ServerClosedError());
    const conn = this.#queue.shift();
    if (conn) return Promise.resolve(conn);
    this.#waiter = deferred();
    return this.#waiter.promise;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#waiter?.reject(new ServerClosedError());
    this.#waiter = undefined;
    for (const conn of this.#queue.splice(0)) conn.reset();
    // The descriptor closes synchronously; the callback would also wait for
    // every accepted connection to end, which is not ours to wait for.
    this.#server.close();
    return Promise.resolve();
  }
}

function checkReusePort(): void {
  const versions =
    (globalThis as { process?: { versions?: Record<string, string> } })
      .process?.versions ?? {};
  if (versions.bun || versions.deno) return;
  const [major, minor] = (versions.node ?? "0.0").split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new NotSupportedError(
      `allowReusePort needs Node 22.12 or later (this is Node ${versions.node}); Node ignores it silently before that`,
    );
  }
}

/** The `node:net` driver. */
export const driver: Driver = {
  name: "node",
  listenTcp(options: TcpListenOptions): Promise<StreamListener> {
    if (options.reusePort) checkReusePort();
    const server = net.createServer({ allowHalfOpen: true });
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        server.close();
        reject(toSocketError(error, "EADDRNOTAVAIL"));
      };
      server.once("error", onError);
      server.listen(
        {
          host: options.hostname,
          port: options.port,
          backlog: options.backlog,
          reusePort: options.reusePort,
          exclusive: true,
        },
        () => {
          server.off("error", onError);
          resolve(new NodeListener(server, options.backlog));
        },
      );
    });
  },
};
