/**
 * The `Bun.listen` driver: the default on Bun.
 *
 * `Bun.listen` pushes data into callbacks and drops whatever the kernel
 * refuses to take from `write()`. This driver turns that into the core's
 * pull interface: reads come from a bounded queue (the socket is paused past
 * `readBufferSize`) and unsent bytes are kept and sent from `drain`.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
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
import { SocketError, toSocketError } from "../src/errors.ts";
import { AcceptQueue, ReadQueue } from "../src/io/push_queue.ts";
import { CLOSE_LINGER_MS } from "../src/transport.ts";
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

type PendingWrite = { data: Uint8Array; done: Deferred<void> };

class BunConn implements StreamConn {
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  readonly input: ReadQueue;
  #socket: BunSocket;
  #closed = false;
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
    this.input = new ReadQueue(() => socket.pause(), () => socket.resume());
  }

  get readBufferSize(): number {
    return this.input.readBufferSize;
  }

  set readBufferSize(bytes: number) {
    this.input.readBufferSize = bytes;
  }

  onClose(error?: Error): void {
    this.#closed = true;
    clearTimeout(this.#lingerTimer);
    this.input.end(error ? toSocketError(error, "ECONNRESET") : undefined);
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
    return this.input.read();
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new SocketError("EPIPE", "the connection is closed"),
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
    this.input.clear();
    if (this.#closed) return;
    if (this.#unsent.length === 0) {
      this.#closed = true;
      this.#socket.end();
      return;
    }
    // Writes nobody awaited are still queued: let them drain, but not forever.
    this.#afterFlush = "end";
    this.#lingerTimer = setTimeout(
      () => this.#socket.terminate(),
      CLOSE_LINGER_MS,
    );
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
  readonly queue: AcceptQueue<BunConn>;
  #listener: BunListener;
  #closed = false;

  constructor(listener: BunListener, queue: AcceptQueue<BunConn>) {
    this.#listener = listener;
    this.queue = queue;
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

  accept(): Promise<StreamConn> {
    return this.queue.accept();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.queue.close();
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
    const queue = new AcceptQueue<BunConn>(options.backlog, (c) => c.reset());
    // One handler set per listener, shared by its sockets (Bun's fast path).
    const handlers: BunHandlers = {
      binaryType: "uint8array",
      open(socket) {
        // Bun turns TCP_NODELAY on; the other runtimes and Python leave it off.
        socket.setNoDelay(false);
        socket.data = new BunConn(socket);
        queue.push(socket.data);
      },
      data: (socket, chunk) => socket.data.input.push(chunk),
      drain: (socket) => socket.data.onDrain(),
      end: (socket) => socket.data.input.end(),
      close: (socket, error) => socket.data?.onClose(error),
      error: (socket, error) =>
        socket.data?.input.end(toSocketError(error, "EIO")),
    };
    try {
      const raw = bun.listen({
        hostname: options.hostname,
        port: options.port,
        allowHalfOpen: true,
        ...(options.reusePort ? { reusePort: true } : {}),
        socket: handlers,
      });
      return Promise.resolve(new BunTcpListener(raw, queue));
    } catch (error) {
      // Bun gives no code when the host does not resolve.
      return Promise.reject(toSocketError(error, "ENOTFOUND"));
    }
  },
};
