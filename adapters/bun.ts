/**
 * The `Bun.listen` driver: the default on Bun.
 *
 * `Bun.listen` pushes data into callbacks and drops whatever the kernel
 * refuses to take from `write()`. This driver turns that into the core's
 * pull interface: reads come from a bounded queue (the socket is paused past
 * `readBufferSize`) and unsent bytes are kept and sent from `drain`.
 *
 * @example
 * ```ts ignore
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./bun.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import { type Deferred, deferred } from "../src/_deferred.ts";
import {
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

// The few members of Bun's API this file uses, typed here so the package
// type-checks without Bun's ambient types (tsc, deno check, npm consumers).
interface BunSocket {
  data: BunConn;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  write(data: Uint8Array): number;
  shutdown(halfClose?: boolean): void;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(enable: boolean): boolean;
}
interface BunHandlers {
  binaryType: "uint8array";
  open(socket: BunSocket): void;
  data(socket: BunSocket, chunk: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}
interface BunListener {
  readonly hostname: string;
  readonly port: number;
  readonly fd?: number;
  /** Fills `out` with the bound address (what `hostname` was resolved to). */
  getsockname?(out: { address?: string; port?: number }): void;
  stop(closeActiveConnections?: boolean): void;
}
interface BunApi {
  listen(options: {
    hostname: string;
    port: number;
    allowHalfOpen: boolean;
    reusePort?: boolean;
    socket: BunHandlers;
  }): BunListener;
}

const DEFAULT_READ_BUFFER = 65536;
/** How long `close()` lets unsent bytes drain to a peer before dropping them. */
const LINGER_MS = 10_000;

type PendingWrite = { data: Uint8Array; done: Deferred<void> };

class BunConn implements StreamConn {
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  readBufferSize = DEFAULT_READ_BUFFER;
  #socket: BunSocket;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  #reader: Deferred<Uint8Array | null> | undefined;
  /** Bytes Bun did not take yet, oldest first. */
  #unsent: PendingWrite[] = [];
  /** What to do once `#unsent` is empty: send FIN, or close. */
  #afterFlush: "shutdown" | "end" | undefined;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: BunSocket) {
    this.#socket = socket;
    this.localAddress = {
      hostname: socket.localAddress,
      port: socket.localPort,
    };
    this.remoteAddress = {
      hostname: socket.remoteAddress,
      port: socket.remotePort,
    };
  }

  onData(chunk: Uint8Array): void {
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      reader.resolve(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued >= this.readBufferSize && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  onEnd(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const reader = this.#reader;
    this.#reader = undefined;
    if (!reader) return;
    if (error) reader.reject(error);
    else reader.resolve(null);
  }

  onClose(error?: Error): void {
    this.#closed = true;
    clearTimeout(this.#lingerTimer);
    this.onEnd(error ? toSocketError(error, "ECONNRESET") : undefined);
    const failure = new SocketError("EPIPE", "the connection is closed");
    for (const pending of this.#unsent.splice(0)) pending.done.reject(failure);
  }

  onDrain(): void {
    const queue = this.#unsent;
    while (queue.length > 0) {
      const head = queue[0];
      const n = this.#socket.write(head.data);
      if (n < 0) return this.onClose();
      if (n < head.data.length) {
        head.data = head.data.subarray(n);
        return;
      }
      queue.shift();
      head.done.resolve();
    }
    if (this.#afterFlush === "shutdown") this.#socket.shutdown(true);
    if (this.#afterFlush === "end") this.#socket.end();
    this.#afterFlush = undefined;
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
    if (this.#closed) {
      return Promise.reject(
        this.#error ?? new SocketError("EPIPE", "the connection is closed"),
      );
    }
    if (this.#unsent.length === 0) {
      const n = this.#socket.write(data);
      if (n === data.length) return Promise.resolve();
      if (n < 0) {
        return Promise.reject(
          new SocketError("EPIPE", "the connection is closed"),
        );
      }
      data = data.subarray(n);
    }
    const done = deferred();
    this.#unsent.push({ data, done });
    return done.promise;
  }

  closeWrite(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#unsent.length > 0) this.#afterFlush = "shutdown";
    else this.#socket.shutdown(true);
    return Promise.resolve();
  }

  close(): void {
    this.#chunks = [];
    this.#queued = 0;
    this.onEnd();
    if (this.#closed) return;
    if (this.#unsent.length === 0) {
      this.#closed = true;
      this.#socket.end();
      return;
    }
    // Writes nobody awaited are still queued: let them drain, but not forever.
    this.#afterFlush = "end";
    this.#lingerTimer = setTimeout(() => this.#socket.terminate(), LINGER_MS);
  }

  setNoDelay(enable: boolean): void {
    this.#socket.setNoDelay(enable);
  }

  /** Turns the client away with a reset, as a full kernel backlog would. */
  reset(): void {
    this.#closed = true;
    this.#socket.terminate();
  }
}

class BunTcpListener implements StreamListener {
  readonly address: NetAddress;
  #listener: BunListener;
  #backlog: number;
  #queue: BunConn[] = [];
  #waiter: Deferred<StreamConn> | undefined;
  #closed = false;

  constructor(listener: BunListener, backlog: number) {
    this.#listener = listener;
    this.#backlog = backlog;
    const bound: { address?: string; port?: number } = {};
    listener.getsockname?.(bound);
    this.address = {
      hostname: bound.address ?? listener.hostname,
      port: bound.port ?? listener.port,
    };
  }

  get fd(): number | undefined {
    return this.#closed ? undefined : this.#listener.fd;
  }

  onOpen(conn: BunConn): void {
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
    // false: connections being served are the handlers' to close.
    this.#listener.stop(false);
    return Promise.resolve();
  }
}

/** The `Bun.listen` driver. */
export const driver: Driver = {
  name: "bun",
  listenTcp(options: TcpListenOptions): Promise<StreamListener> {
    const bun = (globalThis as unknown as { Bun: BunApi }).Bun;
    let listener: BunTcpListener | undefined;
    const handlers: BunHandlers = {
      binaryType: "uint8array",
      open(socket) {
        // Bun turns TCP_NODELAY on; the other runtimes and Python leave it off.
        socket.setNoDelay(false);
        socket.data = new BunConn(socket);
        listener!.onOpen(socket.data);
      },
      data: (socket, chunk) => socket.data.onData(chunk),
      drain: (socket) => socket.data.onDrain(),
      end: (socket) => socket.data.onEnd(),
      close: (socket, error) => socket.data?.onClose(error),
      error: (socket, error) => socket.data?.onEnd(toSocketError(error, "EIO")),
    };
    try {
      const raw = bun.listen({
        hostname: options.hostname,
        port: options.port,
        allowHalfOpen: true,
        ...(options.reusePort ? { reusePort: true } : {}),
        socket: handlers,
      });
      listener = new BunTcpListener(raw, options.backlog);
      return Promise.resolve(listener);
    } catch (error) {
      // Bun gives no code when the host does not resolve.
      return Promise.reject(toSocketError(error, "ENOTFOUND"));
    }
  },
};
