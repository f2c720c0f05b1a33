/**
 * `ThreadingMixIn`: handlers run in a pool of worker threads (Deno's and
 * Bun's `Worker`, Node's `worker_threads`), so CPU-bound handlers use every
 * core.
 *
 * With it, the predefined servers: `ThreadingTCPServer`, `ThreadingUDPServer`,
 * `ThreadingUnixStreamServer` and `ThreadingUnixDatagramServer`.
 *
 * @module
 */

import {
  defaultPoolSize,
  type PoolableServer,
  type PoolableServerClass,
  poolMixIn,
  type PoolServer,
} from "./pool_mixin.ts";
import { TCPServer } from "../server/tcp_server.ts";
import { UDPServer } from "../server/udp_server.ts";
import { UnixDatagramServer } from "../server/unix_datagram_server.ts";
import { UnixStreamServer } from "../server/unix_stream_server.ts";

/** What {@linkcode ThreadingMixIn} adds to a server. */
export interface ThreadingServer extends PoolServer {
  /**
   * How many worker threads to start (default: the number of cores). Read
   * when the server is activated.
   */
  poolSize: number;
  /**
   * Python's `daemon_threads` (default `false`): when `true`,
   * `serverClose()` never waits for running handlers, whatever
   * `blockOnClose` says. They still finish and reply, then the workers
   * stop. Unlike Python's daemon threads, a running handler keeps the
   * process alive until it returns; `handlerTimeout` bounds that.
   */
  daemonThreads: boolean;
  /**
   * TCP servers (default `false`): each worker thread listens on the
   * server's port itself (`SO_REUSEPORT`, Linux), accepts its own
   * connections, TLS handshake included, and serves their bytes, so none
   * passes the server's thread, which still runs `verifyRequest` and counts
   * `maxConnections`. The kernel's hash picks the thread, blind to load: a
   * client can wait for a thread busy computing while another idles, and a
   * thread that is replaced resets the connections waiting in its queue.
   * Left `false`, the server picks the least busy thread and relays the
   * bytes (Deno, Bun), or moves the socket to it (Node 24.20 and later).
   * UDP servers too (Bun, Node 22.12+): each thread binds the port and,
   * while `serveForever()` runs, serves the datagrams it receives on its
   * own, replying from its own socket; a server that overrides a request
   * hook (`verifyRequest`, ...) or sets `handlerTimeout` gets each datagram
   * in its loop first. Read when the server binds; a server that cannot (a
   * Unix socket, Deno without `--unstable-net`, Deno's UDP sockets, Node
   * before 22.12) fails to bind with a `NotSupportedError`.
   */
  listenInThreads: boolean;
}

/**
 * The class {@linkcode ThreadingMixIn} returns: `Base` with
 * {@linkcode ThreadingServer}'s members.
 */
export type ThreadingMixed<T extends PoolableServerClass> =
  & T
  // deno-lint-ignore no-explicit-any
  & (abstract new (...args: any[]) => ThreadingServer);

/**
 * Makes a server run each handler in one of `poolSize` worker threads.
 *
 * The server's own thread keeps accepting and gives each connection to the
 * least busy worker: on Node 24.20 and later the socket itself, elsewhere
 * relaying its bytes. A worker serves many requests at once (handlers are
 * async), so a pool of 4 serves any number of clients, up to
 * `maxConnections` in flight. Choose it for CPU-bound handlers; for
 * I/O-bound ones, set `listenInThreads`, so that each thread accepts on the
 * port itself (or use `EventLoopMixIn`).
 *
 * Workers load the handler from its module: export it under its own name and
 * give it `static module = import.meta.url`. They share no memory with the
 * server: a handler gets a {@linkcode WorkerServer} as `this.server` (the
 * address, `workerData`, `workerId`, `shutdown()`), and `handleError` and
 * the other server hooks run in the server's thread. A worker that crashes,
 * or runs past `handlerTimeout`, is reported and replaced.
 *
 * @example Upper-casing lines in two worker threads
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { TCPServer, ThreadingMixIn } from "../../mod.ts";
 * import { UpperHandler } from "../../examples/upper_handler.ts";
 *
 * class Server extends ThreadingMixIn(TCPServer) {
 *   override poolSize = 2;
 * }
 * await using server = new Server({ hostname: "127.0.0.1", port: 0 }, UpperHandler);
 * await server.ready(); // the workers have loaded UpperHandler
 * const serving = server.serveForever();
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(server.serverAddress.port, "127.0.0.1", () => client.end("hi\n"));
 *   let text = "";
 *   client.on("data", (data) => text += data);
 *   client.on("end", () => resolve(text));
 * });
 * assert.match(reply, /^[12]: HI\n$/);
 * await server.shutdown();
 * await serving;
 * ```
 *
 * @param Base The server class to extend (`TCPServer`, `UDPServer`, ...).
 * @returns An abstract subclass; extend it (or use `ThreadingTCPServer` and
 * its siblings).
 */
export function ThreadingMixIn<T extends PoolableServerClass>(
  Base: T,
): ThreadingMixed<T> {
  const Pooled = poolMixIn(Base, {
    kind: "thread",
    sizeName: "poolSize",
    size: (server) => (server as PoolableServer & ThreadingServer).poolSize,
    daemon: (server) =>
      (server as PoolableServer & ThreadingServer).daemonThreads,
    listens: {
      name: "listenInThreads",
      of: (server) =>
        (server as PoolableServer & ThreadingServer).listenInThreads,
    },
  });
  abstract class Threading extends Pooled implements ThreadingServer {
    poolSize: number = defaultPoolSize();
    daemonThreads = false;
    listenInThreads = false;
  }
  return Threading;
}

/** `TCPServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingTCPServer`. */
export const TCPServerThreading: ThreadingMixed<typeof TCPServer> =
  ThreadingMixIn(TCPServer);

/**
 * `TCPServer` serving connections in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingTCPServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingTCPServer({ hostname: "127.0.0.1", port: 9999 }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingTCPServer extends TCPServerThreading {}

/** `UDPServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingUDPServer`. */
export const UDPServerThreading: ThreadingMixed<typeof UDPServer> =
  ThreadingMixIn(UDPServer);

/**
 * `UDPServer` serving datagrams in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingUDPServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingUDPServer({ hostname: "127.0.0.1", port: 9999 }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingUDPServer extends UDPServerThreading {}

/** `UnixStreamServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingUnixStreamServer`. */
export const UnixStreamServerThreading: ThreadingMixed<
  typeof UnixStreamServer
> = ThreadingMixIn(UnixStreamServer);

/**
 * `UnixStreamServer` serving connections in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingUnixStreamServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingUnixStreamServer({ path: "/tmp/s.sock" }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingUnixStreamServer extends UnixStreamServerThreading {}

/** `UnixDatagramServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingUnixDatagramServer`. */
export const UnixDatagramServerThreading: ThreadingMixed<
  typeof UnixDatagramServer
> = ThreadingMixIn(UnixDatagramServer);

/**
 * `UnixDatagramServer` serving datagrams in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingUnixDatagramServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingUnixDatagramServer({ path: "/tmp/s.sock" }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingUnixDatagramServer extends UnixDatagramServerThreading {}
