/**
 * The Node driver: `node:net`, `node:tls` and `node:dgram`. It is the
 * default on Node, and works on Deno and Bun too through their Node
 * compatibility (pass it as the `driver` option). Node has no Unix datagram
 * sockets.
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

import { spawn } from "node:child_process";
import * as dgram from "node:dgram";
import * as net from "node:net";
import process from "node:process";
import * as tls from "node:tls";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
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
import type {
  ChildExit,
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
import { childFlags } from "./_child_flags.ts";
import { nearDescriptorLimit } from "./_descriptors.ts";
import { HandshakeGate } from "./_handshakes.ts";
import { bindUnixPath } from "./_unix_path.ts";

/** A write failure; Node's own "stream closed" errors become `EPIPE`. */
function writeError(error: unknown): Error {
  const code = (error as { code?: unknown } | null)?.code;
  // A socket destroyed under a pending write: the connection is closed.
  if (
    typeof code === "string" &&
    (code.startsWith("ERR_STREAM") || code === "ERR_SOCKET_CLOSED" ||
      code === "ECANCELED")
  ) {
    return new SocketError("EPIPE", "the connection is closed", {
      cause: error,
    });
  }
  return toSocketError(error, "EPIPE");
}

/** A plain Uint8Array view, so results compare equal on every runtime. */
function plain(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The descriptor behind a Node handle, where Node exposes it. */
function handleFd(owner: unknown): number | undefined {
  const fd = (owner as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}

class NodeConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  #socket: net.Socket;
  #input: ReadQueue;

  constructor(socket: net.Socket, localAddress: A, remoteAddress: A) {
    this.#socket = socket;
    this.localAddress = localAddress;
    this.remoteAddress = remoteAddress;
    const input = this.#input = new ReadQueue(
      () => socket.pause(),
      () => socket.resume(),
    );
    socket.on("data", (chunk: Uint8Array) => input.push(plain(chunk)));
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
    const socket = this.#socket;
    let settle: ((error?: Error | null) => void) | undefined;
    // The callback runs once Node has handed the bytes to the kernel.
    socket.write(data, (error) => settle?.(error));
    // Nothing left queued: the kernel took the bytes during write(), so
    // resolve now instead of a tick later, when the callback runs.
    if (socket.writableLength === 0 && !socket.destroyed) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      settle = (error) => error ? reject(writeError(error)) : resolve();
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

  abort(): void {
    this.#input.clear();
    this.#socket.destroy();
  }

  setNoDelay(enable: boolean): void {
    if (this.remoteAddress && "port" in this.remoteAddress) {
      this.#socket.setNoDelay(enable);
    }
  }

  /** Turns the client away with a reset, as a full kernel backlog would. */
  reset(): void {
    try {
      this.#socket.resetAndDestroy();
    } catch {
      this.#socket.destroy(); // TLS and Unix sockets cannot send a reset
    }
  }
}

class NodeListener<A extends SocketAddress> implements StreamListener<A> {
  readonly address: A;
  #server: net.Server;
  #queue: AcceptQueue<NodeConn<A>>;
  #handshakes: HandshakeGate<tls.TLSSocket> | undefined;

  constructor(
    server: net.Server,
    backlog: number,
    address: A,
    peer: (socket: net.Socket) => A,
    tlsOptions: TlsOptions | undefined,
  ) {
    this.#server = server;
    this.address = address;
    this.#queue = new AcceptQueue(backlog, (conn) => conn.reset());
    const accept = (socket: net.Socket) => {
      this.#queue.push(new NodeConn(socket, address, peer(socket)));
    };
    const secure = tlsOptions && secureHandshakes(tlsOptions, accept);
    this.#handshakes = secure?.gate;
    server.on("connection", (socket: net.Socket) => {
      // Refused before the runtime runs out of descriptors: Bun's node:net
      // would spin at full CPU there (Node's libuv copes by itself).
      if (nearDescriptorLimit(handleFd(socket))) socket.destroy();
      else if (secure) secure.start(socket);
      else accept(socket);
    });
    // Accept failures (EMFILE, ...) lose that one client; the server goes on.
    server.on("error", () => {});
  }

  get fd(): number | undefined {
    return handleFd(this.#server);
  }

  accept(): Promise<StreamConn<A>> {
    return this.#queue.accept();
  }

  takeAccepted(): StreamConn<A>[] {
    return this.#queue.takeAll();
  }

  close(): Promise<void> {
    this.#queue.close();
    this.#handshakes?.close();
    // The descriptor closes synchronously; the callback would also wait for
    // every accepted connection to end, which is not ours to wait for.
    if (this.#server.listening) this.#server.close();
    return Promise.resolve();
  }
}

/**
 * Runs the TLS handshake on each connection it is given (`start`) and
 * hands over those that succeed. The TLS sockets are made here rather than by
 * `tls.Server`, so that every handshake in progress is known: bounded in
 * number and time by a {@linkcode HandshakeGate}, and closed when the
 * client leaves first (`tls.Server` leaves such sockets open until its
 * own timeout once `tlsClientError` has a listener, and for good
 * otherwise on half-open servers).
 */
function secureHandshakes(
  options: TlsOptions,
  accept: (socket: net.Socket) => void,
): { gate: HandshakeGate<tls.TLSSocket>; start(raw: net.Socket): void } {
  const secureContext = tls.createSecureContext({
    cert: options.cert,
    key: options.key,
  });
  const gate = new HandshakeGate<tls.TLSSocket>(
    options,
    (socket) => socket.destroy(),
  );
  const start = (raw: net.Socket) => {
    // The raw socket is not half-open, so a client that sends FIN before
    // finishing its handshake is closed at once; served ones become so.
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext });
    const fail = () => socket.destroy();
    gate.begin(socket);
    socket.on("error", fail);
    socket.once("close", () => gate.end(socket));
    socket.once("secure", () => {
      if (!gate.end(socket)) return; // given up already
      socket.off("error", fail);
      socket.allowHalfOpen = true;
      accept(socket);
    });
  };
  return { gate, start };
}

/**
 * A plain server; TLS runs on its connections (see `secureHandshakes`). Half-open
 * for plain TCP, so a handler can still reply after the client's FIN.
 */
function createServer(tlsOptions: TlsOptions | undefined): net.Server {
  return net.createServer({ allowHalfOpen: tlsOptions === undefined });
}

/**
 * A failed bind as a `SocketError` with the code Node itself gives, also on
 * Deno's and Bun's node:net. Bun's gives no code when a host name does not
 * resolve; Deno's says `EINVAL` for an IP address not on this machine.
 */
function bindError(error: unknown, host: string | undefined): Error {
  const literal = host !== undefined && net.isIP(host) !== 0;
  if (literal && (error as { code?: unknown }).code === "EINVAL") {
    const message = error instanceof Error ? error.message : String(error);
    return new SocketError("EADDRNOTAVAIL", message, { cause: error });
  }
  return toSocketError(
    error,
    host === undefined || literal ? "EADDRNOTAVAIL" : "ENOTFOUND",
  );
}

function listen(
  server: net.Server,
  options: net.ListenOptions,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.close();
      reject(bindError(error, options.host));
    };
    server.once("error", onError);
    server.listen(options, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

class NodeDatagramEndpoint<A extends SocketAddress>
  implements DatagramEndpoint<A> {
  readonly address: A;
  readonly queue: DatagramQueue<A> = new DatagramQueue();
  #socket: dgram.Socket;

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
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

function checkReusePort(udp = false): void {
  const versions =
    (globalThis as { process?: { versions?: Record<string, string> } })
      .process?.versions ?? {};
  if (udp && versions.deno) {
    // Deno's node:dgram accepts the option, then fails with EADDRINUSE.
    throw new NotSupportedError(
      "allowReusePort: Deno's UDP sockets have no SO_REUSEPORT (use Bun or Node)",
    );
  }
  if (versions.bun || versions.deno) return;
  const [major, minor] = (versions.node ?? "0.0").split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 12)) {
    throw new NotSupportedError(
      `allowReusePort needs Node 22.12 or later (this is Node ${versions.node}); Node ignores it silently before that`,
    );
  }
}

const NO_UNIX_DATAGRAM =
  "Node's sockets (node:net, node:dgram) have no Unix datagram sockets. Use UnixStreamServer, or UDPServer on 127.0.0.1; on Deno, the native driver offers them with --unstable-net";

/** The Node driver. */
export const driver: Driver = {
  name: "node",
  unsupported(feature: DriverFeature): string | undefined {
    if (feature === "unixDatagram") return NO_UNIX_DATAGRAM;
    if (feature === "processes" && process.versions.deno) {
      return "the node driver starts Node-style children; on Deno use the native driver (adapters/deno.ts) for ForkingMixIn";
    }
    return undefined;
  },
  async listenTcp(
    options: TcpListenOptions,
  ): Promise<StreamListener<NetAddress>> {
    if (options.reusePort) checkReusePort();
    const server = createServer(options.tls);
    await listen(server, {
      host: options.hostname,
      port: options.port,
      backlog: options.backlog,
      reusePort: options.reusePort,
      exclusive: true,
    });
    const bound = server.address() as net.AddressInfo;
    return new NodeListener<NetAddress>(
      server,
      options.backlog,
      { hostname: bound.address, port: bound.port },
      (socket) => ({
        hostname: socket.remoteAddress ?? "",
        port: socket.remotePort ?? 0,
      }),
      options.tls,
    );
  },
  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>> {
    return bindUnixPath(options.path, async () => {
      const server = createServer(options.tls);
      await listen(server, {
        path: options.path,
        backlog: options.backlog,
        exclusive: true,
      });
      // Node reports no peer path for Unix clients.
      return new NodeListener<UnixAddress>(
        server,
        options.backlog,
        { path: options.path },
        () => ({ path: "" }),
        options.tls,
      );
    }, options.mode);
  },
  async bindUdp(
    options: UdpBindOptions,
  ): Promise<DatagramEndpoint<NetAddress>> {
    if (options.reusePort) checkReusePort(true);
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
  },
  bindUnixDatagram(): Promise<DatagramEndpoint<UnixAddress>> {
    return Promise.reject(new NotSupportedError(NO_UNIX_DATAGRAM));
  },
  startThread(events: WorkerEvents): WorkerLink {
    const worker = new Worker(
      new URL(`./_thread_node${ENTRY_EXT}`, import.meta.url),
    );
    let alive = true;
    const died = (how: string) => {
      if (!alive) return;
      alive = false;
      void worker.terminate();
      events.exit(how);
    };
    worker.on("message", (message) => events.message(message));
    worker.on(
      "error",
      (error: Error) => died(`threw outside a handler: ${error.message}`),
    );
    worker.on("messageerror", () => died("sent a broken message"));
    worker.on("exit", (code) => died(`exited with code ${code}`));
    return {
      send(message: unknown, transfer?: ArrayBuffer[]): void {
        if (alive) worker.postMessage(message, transfer);
      },
      async terminate(): Promise<void> {
        alive = false;
        await worker.terminate();
      },
    };
  },
  spawnChild(stdin: string): ChildProcessHandle {
    const entry = fileURLToPath(
      new URL(`./_child${ENTRY_EXT}`, import.meta.url),
    );
    const flags = childFlags(process.execArgv);
    const child = spawn(process.execPath, [...flags, entry], {
      stdio: ["pipe", "inherit", "inherit"],
    });
    child.stdin?.on("error", () => {}); // a child that died at once
    child.stdin?.end(stdin);
    const exited = new Promise<ChildExit>((resolve) => {
      child.on("exit", (code, signal) => resolve({ code, signal }));
      child.on(
        "error",
        (error) => resolve({ code: null, signal: null, error: error.message }),
      );
    });
    return {
      pid: child.pid ?? -1,
      exited,
      kill(): void {
        child.kill("SIGKILL");
      },
    };
  },
  onSignal(signal: ShutdownSignal, listener: () => void): () => void {
    process.on(signal, listener);
    return () => process.off(signal, listener);
  },
};

/** The entry modules sit beside this one, as `.ts` or as built `.js`. */
const ENTRY_EXT = import.meta.url.endsWith(".js") ? ".js" : ".ts";
