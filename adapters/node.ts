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

import * as dgram from "node:dgram";
import * as net from "node:net";
import process from "node:process";
import type * as tls from "node:tls";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  NotSupportedError,
  SocketError,
  toSocketError,
  WorkerError,
} from "../src/errors.ts";
import { AcceptQueue, DatagramQueue, truncate } from "../src/io/push_queue.ts";
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
import { childFlags } from "./_child_flags.ts";
import { nearDescriptorLimit } from "./_descriptors.ts";
import type { HandshakeGate } from "./_handshakes.ts";
import {
  handleFd,
  handOver,
  NodeConn,
  plain,
  secureHandshakes,
} from "./_node_conn.ts";
import { spawnWithIpc } from "./_spawn.ts";
import { bindUnixPath } from "./_unix_path.ts";

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
    passable: boolean,
  ) {
    this.#server = server;
    this.address = address;
    this.#queue = new AcceptQueue(backlog, (conn) => conn.reset());
    const accept = (socket: net.Socket) => {
      this.#queue.push(new NodeConn(socket, address, peer(socket), passable));
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
 * A plain server; TLS runs on its connections (see `secureHandshakes`). Half-open
 * for plain TCP, so a handler can still reply after the client's FIN. A
 * passable one accepts paused, so no byte is read before a child takes
 * the connection; TLS is then the child's.
 */
function createServer(
  tlsOptions: TlsOptions | undefined,
  passable = false,
): net.Server {
  if (passable && tlsOptions) {
    throw new TypeError("a passable listener leaves TLS to the child");
  }
  return net.createServer({
    allowHalfOpen: tlsOptions === undefined,
    pauseOnConnect: passable,
  });
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

/** Whether this is Node itself (not Deno's or Bun's emulation) at `major.minor` or later. */
function nodeAtLeast(major: number, minor: number): boolean {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun || versions.deno) return false;
  const [have, haveMinor] = (versions.node ?? "0.0").split(".").map(Number);
  return have > major || (have === major && haveMinor >= minor);
}

/**
 * Node moves a TCP socket to a worker thread from 24.20 on (#64225; 25
 * does not). Deno's and Bun's `node:worker_threads` cannot.
 */
const MOVES_SOCKETS_TO_THREADS = nodeAtLeast(26, 0) ||
  (nodeAtLeast(24, 20) && !nodeAtLeast(25, 0));

function checkReusePort(udp = false): void {
  const versions = process.versions as Record<string, string | undefined>;
  if (udp && versions.deno) {
    // Deno's node:dgram accepts the option, then fails with EADDRINUSE.
    throw new NotSupportedError(
      "allowReusePort: Deno's UDP sockets have no SO_REUSEPORT (use Bun or Node)",
    );
  }
  if (versions.bun || versions.deno) return;
  if (!nodeAtLeast(22, 12)) {
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
    if (feature === "threadHandover" && !MOVES_SOCKETS_TO_THREADS) {
      return "worker threads take sockets from Node 24.20 on";
    }
    if (feature === "processes" && process.versions.deno) {
      return "the node driver starts Node-style children; on Deno use the native driver (adapters/deno.ts) for ForkingMixIn";
    }
    return undefined;
  },
  async listenTcp(
    options: TcpListenOptions,
  ): Promise<StreamListener<NetAddress>> {
    if (options.reusePort) checkReusePort();
    const server = createServer(options.tls, options.passable);
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
      options.passable ?? false,
    );
  },
  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>> {
    return bindUnixPath(options.path, async () => {
      const server = createServer(options.tls, options.passable);
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
        options.passable ?? false,
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
      pass: MOVES_SOCKETS_TO_THREADS
        ? (message: unknown, conn?: StreamConn<SocketAddress>) => {
          if (conn === undefined) {
            if (alive) worker.postMessage(message);
            return Promise.resolve();
          }
          let socket: net.Socket | undefined;
          try {
            socket = handOver(conn);
          } catch (error) {
            return Promise.reject(error);
          }
          if (!alive) {
            socket?.destroy();
            return Promise.reject(new WorkerError("the worker is gone"));
          }
          if (!socket) {
            worker.postMessage(message);
            return Promise.resolve();
          }
          try {
            // The socket moves: the worker gets its handle, and this
            // thread's copy is destroyed as it goes.
            worker.postMessage(
              { ...(message as object), socket },
              [socket] as unknown as Parameters<Worker["postMessage"]>[1],
            );
          } catch (error) {
            socket.destroy();
            return Promise.reject(
              new WorkerError(`could not pass to the worker: ${error}`),
            );
          }
          return Promise.resolve();
        }
        : undefined,
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
    return spawnWithIpc(process.execPath, [...flags, entry], stdin);
  },
  onSignal(signal: ShutdownSignal, listener: () => void): () => void {
    process.on(signal, listener);
    return () => process.off(signal, listener);
  },
};

/** The entry modules sit beside this one, as `.ts` or as built `.js`. */
const ENTRY_EXT = import.meta.url.endsWith(".js") ? ".js" : ".ts";
