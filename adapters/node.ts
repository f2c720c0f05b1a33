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
import {
  NotSupportedError,
  SocketError,
  toSocketError,
} from "../src/errors.ts";
import { AcceptQueue, ReadQueue } from "../src/io/push_queue.ts";
import { CLOSE_LINGER_MS } from "../src/transport.ts";
import type {
  Driver,
  NetAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
} from "../src/transport.ts";

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
  #socket: net.Socket;
  #input: ReadQueue;

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
    const input = this.#input = new ReadQueue(
      () => socket.pause(),
      () => socket.resume(),
    );
    socket.on("data", (chunk: Uint8Array) => {
      // A plain Uint8Array view, so results compare equal on every runtime.
      input.push(
        new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
    });
    socket.on("end", () => input.end());
    socket.on("error", (error) => input.end(toSocketError(error, "EIO")));
    socket.on("close", () => input.end());
  }

  get readBufferSize(): number {
    return this.#input.readBufferSize;
  }

  set readBufferSize(bytes: number) {
    this.#input.readBufferSize = bytes;
  }

  read(): Promise<Uint8Array | null> {
    return this.#input.read();
  }

  write(data: Uint8Array): Promise<void> {
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
    this.#input.clear();
    if (socket.destroyed) return;
    if (socket.writableLength === 0) {
      socket.destroy();
      return;
    }
    // Writes nobody awaited are still queued: let them drain, but not forever.
    socket.end();
    const timer = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
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
  #queue: AcceptQueue<NodeConn>;

  constructor(server: net.Server, backlog: number) {
    this.#server = server;
    this.#queue = new AcceptQueue(backlog, (conn) => conn.reset());
    const bound = server.address() as net.AddressInfo;
    this.address = { hostname: bound.address, port: bound.port };
    server.on("connection", (socket: net.Socket) => {
      this.#queue.push(new NodeConn(socket));
    });
    // Accept failures (EMFILE, ...) lose that one client; the server goes on.
    server.on("error", () => {});
  }

  get fd(): number | undefined {
    const fd = (this.#server as unknown as { _handle?: { fd?: unknown } })
      ._handle?.fd;
    return typeof fd === "number" && fd >= 0 ? fd : undefined;
  }

  accept(): Promise<StreamConn> {
    return this.#queue.accept();
  }

  close(): Promise<void> {
    this.#queue.close();
    // The descriptor closes synchronously; the callback would also wait for
    // every accepted connection to end, which is not ours to wait for.
    if (this.#server.listening) this.#server.close();
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
