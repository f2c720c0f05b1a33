/**
 * The Bun driver: `Bun.listen` (TCP, Unix, TLS) and `Bun.udpSocket`. It is
 * the default on Bun. Bun has no Unix datagram sockets.
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
import {
  connectionError,
  NotSupportedError,
  SocketError,
  toSocketError,
} from "../src/errors.ts";
import {
  AcceptQueue,
  DatagramQueue,
  ReadQueue,
  truncate,
} from "../src/io/push_queue.ts";
import { CLOSE_LINGER_MS } from "../src/transport.ts";
import process from "node:process";
import type {
  ChildProcessHandle,
  Datagram,
  DatagramEndpoint,
  Driver,
  DriverFeature,
  NetAddress,
  ShutdownSignal,
  SocketAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
  TlsOptions,
  UdpBindOptions,
  UnixAddress,
  UnixListenOptions,
  WorkerEvents,
  WorkerLink,
} from "../src/transport.ts";
import { nearDescriptorLimit } from "./_descriptors.ts";
import { HandshakeGate } from "./_handshakes.ts";
import { driver as nodeDriver } from "./node.ts";
import { spawnWithIpc } from "./_spawn.ts";
import { bindUnixPath } from "./_unix_path.ts";
import { ENTRY_EXT, startWebWorker } from "./_web_worker.ts";

// The few members of Bun's API this file uses, typed here so the package
// type-checks without Bun's ambient types (tsc, deno check, npm consumers).
interface BunSocket {
  data: BunConn<SocketAddress>;
  readonly fd?: number;
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
  handshake?(socket: BunSocket, success: boolean): void;
}
interface BunListener {
  readonly hostname: string;
  readonly port: number;
  readonly fd?: number;
  /** Fills `out` with the bound address (what `hostname` was resolved to). */
  getsockname?(out: { address?: string; port?: number }): void;
  stop(closeActiveConnections?: boolean): void;
}
interface BunUdpSocket {
  readonly hostname: string;
  readonly port: number;
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}
interface BunApi {
  listen(
    options:
      & ({ hostname: string; port: number; reusePort?: boolean } | {
        unix: string;
      })
      & { allowHalfOpen: boolean; tls?: TlsOptions; socket: BunHandlers },
  ): BunListener;
  udpSocket(options: {
    hostname: string;
    port: number;
    binaryType: "uint8array";
    socket: {
      data(s: BunUdpSocket, data: Uint8Array, port: number, addr: string): void;
      drain(s: BunUdpSocket): void;
      error(s: BunUdpSocket, error: Error): void;
    };
  }): Promise<BunUdpSocket>;
  spawn(cmd: string[], options: {
    stdio: [Uint8Array, "inherit", "inherit"];
  }): {
    readonly pid: number;
    readonly exited: Promise<number>;
    readonly signalCode: string | null;
    kill(signal?: string): void;
  };
}

function bun(): BunApi {
  return (globalThis as unknown as { Bun: BunApi }).Bun;
}

type PendingWrite = { data: Uint8Array; done: Deferred<void> };

class BunConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  readonly input: ReadQueue;
  #socket: BunSocket;
  #closed = false;
  /** Bytes Bun did not take yet, oldest first. */
  #unsent: PendingWrite[] = [];
  /** What to do once `#unsent` is empty: send FIN, or close. */
  #afterFlush: "shutdown" | "end" | undefined;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** Takes a TLS connection off its listener's handshakes in progress. */
  endHandshake: (() => void) | undefined;

  constructor(socket: BunSocket, localAddress: A, remoteAddress: A) {
    this.#socket = socket;
    this.localAddress = localAddress;
    this.remoteAddress = remoteAddress;
    this.input = new ReadQueue(socket);
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
    this.endHandshake?.();
    this.input.end(
      error
        ? connectionError(error, "ECONNRESET", "recv from", this.remoteAddress)
        : undefined,
    );
    if (this.#unsent.length === 0) return;
    const failure = this.#closedError();
    for (const pending of this.#unsent.splice(0)) pending.done.reject(failure);
  }

  /** A write to a closed connection. */
  #closedError(): Error {
    return connectionError(
      new SocketError("EPIPE", "the connection is closed"),
      "EPIPE",
      "send to",
      this.remoteAddress,
    );
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
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#unsent.length === 0) {
      const n = this.#socket.write(data);
      if (n === data.length) return Promise.resolve();
      if (n < 0) return Promise.reject(this.#closedError());
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

  abort(): void {
    this.input.clear();
    if (this.#closed) return;
    this.#socket.terminate(); // close() runs onClose: pending writes reject
  }

  setNoDelay(enable: boolean): void {
    if ("port" in this.remoteAddress) this.#socket.setNoDelay(enable);
  }

  /** Turns the client away with a reset, as a full kernel backlog would. */
  reset(): void {
    this.#closed = true;
    this.#socket.terminate();
  }
}

class BunStreamListener<A extends SocketAddress> implements StreamListener<A> {
  readonly address: A;
  #listener: BunListener;
  #queue: AcceptQueue<BunConn<A>>;
  #handshakes: HandshakeGate<BunConn<A>> | undefined;
  #closed = false;

  constructor(
    listener: BunListener,
    queue: AcceptQueue<BunConn<A>>,
    address: A,
    handshakes: HandshakeGate<BunConn<A>> | undefined,
  ) {
    this.#listener = listener;
    this.#queue = queue;
    this.address = address;
    this.#handshakes = handshakes;
  }

  get fd(): number | undefined {
    return this.#closed ? undefined : this.#listener.fd;
  }

  accept(): Promise<StreamConn<A>> {
    return this.#queue.accept();
  }

  takeAccepted(): StreamConn<A>[] {
    return this.#queue.takeAll();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#queue.close();
    this.#handshakes?.close();
    // false: connections being served are the handlers' to close.
    this.#listener.stop(false);
    return Promise.resolve();
  }
}

/** The bound on a TLS listener's handshakes in progress. */
function handshakeGate<A extends SocketAddress>(
  tls: TlsOptions | undefined,
): HandshakeGate<BunConn<A>> | undefined {
  return tls && new HandshakeGate<BunConn<A>>(tls, (conn) => conn.reset());
}

/**
 * One handler set per listener, shared by its sockets (Bun's fast path).
 * A TLS connection is queued once its handshake succeeded, so a plaintext
 * or stalled client never reaches a handler; `handshakes` bounds those in
 * progress.
 */
function streamHandlers<A extends SocketAddress>(
  queue: AcceptQueue<BunConn<A>>,
  addresses: (socket: BunSocket) => [local: A, remote: A],
  handshakes: HandshakeGate<BunConn<A>> | undefined,
): BunHandlers {
  return {
    binaryType: "uint8array",
    open(socket) {
      // Refused before Bun runs out of descriptors, where it would spin.
      if (nearDescriptorLimit(socket.fd)) return socket.terminate();
      const [local, remote] = addresses(socket);
      const conn = new BunConn(socket, local, remote);
      socket.data = conn;
      if (handshakes) {
        conn.endHandshake = () => handshakes.end(conn);
        handshakes.begin(conn);
        return;
      }
      // Bun turns TCP_NODELAY on; the other runtimes and Python leave it off.
      conn.setNoDelay(false);
      queue.push(conn);
    },
    handshake(socket, success) {
      const conn = socket.data as BunConn<A>;
      if (!handshakes?.end(conn)) return; // given up already
      if (!success) return conn.reset();
      conn.setNoDelay(false);
      queue.push(conn);
    },
    data: (socket, chunk) => socket.data?.input.push(chunk),
    drain: (socket) => socket.data?.onDrain(),
    end: (socket) => socket.data?.input.end(),
    close: (socket, error) => socket.data?.onClose(error),
    error: (socket, error) =>
      socket.data?.input.end(
        connectionError(error, "EIO", "recv from", socket.data.remoteAddress),
      ),
  };
}

/** Runs a synchronous Bun bind, turning its error into a `SocketError`. */
function bindNow<T>(bind: () => T): Promise<T> {
  try {
    return Promise.resolve(bind());
  } catch (error) {
    // Bun gives no code when the host does not resolve.
    return Promise.reject(toSocketError(error, "ENOTFOUND"));
  }
}

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

const NO_UNIX_DATAGRAM =
  "Bun has no Unix datagram sockets (Bun.udpSocket is UDP only). Use UnixStreamServer, or UDPServer on 127.0.0.1; on Deno, the native driver offers them with --unstable-net";

/** The Bun driver. */
export const driver: Driver = {
  name: "bun",
  unsupported(feature: DriverFeature): string | undefined {
    if (feature === "unixDatagram") return NO_UNIX_DATAGRAM;
    // postMessage refuses sockets (DataCloneError), node:worker_threads too.
    if (feature === "threadHandover") {
      return "Bun's workers cannot take a socket; their connections are relayed";
    }
    return undefined;
  },
  listenTcp(options: TcpListenOptions): Promise<StreamListener<NetAddress>> {
    // Only node:net sockets can be passed to a child process.
    if (options.passable) return nodeDriver.listenTcp(options);
    const queue = new AcceptQueue<BunConn<NetAddress>>(
      options.backlog,
      (c) => c.reset(),
    );
    const handshakes = handshakeGate<NetAddress>(options.tls);
    const handlers = streamHandlers(queue, (socket) => [
      { hostname: socket.localAddress, port: socket.localPort },
      { hostname: socket.remoteAddress, port: socket.remotePort },
    ], handshakes);
    return bindNow(() => {
      const raw = bun().listen({
        hostname: options.hostname,
        port: options.port,
        allowHalfOpen: true,
        ...(options.reusePort ? { reusePort: true } : {}),
        ...(options.tls ? { tls: options.tls } : {}),
        socket: handlers,
      });
      // getsockname gives the bound address even for a host name.
      const bound: { address?: string; port?: number } = {};
      raw.getsockname?.(bound);
      return new BunStreamListener(raw, queue, {
        hostname: bound.address ?? raw.hostname,
        port: bound.port ?? raw.port,
      }, handshakes);
    });
  },
  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>> {
    if (options.passable) return nodeDriver.listenUnix(options);
    const address = { path: options.path };
    return bindUnixPath(options.path, () => {
      const queue = new AcceptQueue<BunConn<UnixAddress>>(
        options.backlog,
        (c) => c.reset(),
      );
      const handshakes = handshakeGate<UnixAddress>(options.tls);
      // Bun reports no peer path for Unix clients.
      const handlers = streamHandlers(
        queue,
        () => [address, { path: "" }],
        handshakes,
      );
      return bindNow(() =>
        new BunStreamListener(
          bun().listen({
            unix: options.path,
            allowHalfOpen: true,
            ...(options.tls ? { tls: options.tls } : {}),
            socket: handlers,
          }),
          queue,
          address,
          handshakes,
        )
      );
    }, options.mode);
  },
  async bindUdp(
    options: UdpBindOptions,
  ): Promise<DatagramEndpoint<NetAddress>> {
    if (options.reusePort) {
      throw new NotSupportedError(
        "allowReusePort: Bun.udpSocket has no SO_REUSEPORT; pass the node driver from adapters/node.ts, whose node:dgram has it on Bun",
      );
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
  },
  bindUnixDatagram(): Promise<DatagramEndpoint<UnixAddress>> {
    return Promise.reject(new NotSupportedError(NO_UNIX_DATAGRAM));
  },
  startThread(events: WorkerEvents): WorkerLink {
    return startWebWorker(events);
  },
  spawnChild(stdin: string): ChildProcessHandle {
    const entry = new URL(`./_child${ENTRY_EXT}`, import.meta.url);
    return spawnWithIpc(process.execPath, [entry.pathname], stdin);
  },
  onSignal(signal: ShutdownSignal, listener: () => void): () => void {
    process.on(signal, listener);
    return () => process.off(signal, listener);
  },
};
