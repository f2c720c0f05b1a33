/**
 * `ForkingMixIn`: handlers run in a pool of child processes of the same
 * runtime (`Deno.Command`, `Bun.spawn`, `node:child_process`).
 *
 * With it, the predefined servers: `ForkingTCPServer`, `ForkingUDPServer`,
 * `ForkingUnixStreamServer` and `ForkingUnixDatagramServer`.
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

/** What {@linkcode ForkingMixIn} adds to a server. */
export interface ForkingServer extends PoolServer {
  /**
   * How many child processes to start (default: the number of cores, where
   * Python's `max_children` is 40: these children are long-lived runtimes,
   * not forks). Read when the server is activated.
   */
  maxChildren: number;
  /** The process ids of the running children (Python's `active_children`). */
  readonly activeChildren: ReadonlySet<number>;
  /**
   * TCP servers (default `false`): each child listens on the server's port
   * itself (`SO_REUSEPORT`, Linux) with the server's driver, accepts its
   * own connections, TLS handshake included, and serves them, where it
   * would otherwise get each one passed over by the server through
   * `node:child_process`. The server still runs `verifyRequest` and counts
   * `maxConnections`. The kernel's hash picks the child, blind to load, and
   * a child that is replaced resets the connections waiting in its queue.
   * UDP servers too (Bun, Node 22.12+): each child binds the port and
   * serves its datagrams, as `listenInThreads` describes. Read when the
   * server binds; a server that cannot (a Unix socket, Deno without
   * `--unstable-net`, Deno's UDP sockets, Node before 22.12) fails to bind
   * with a `NotSupportedError`.
   */
  listenInChildren: boolean;
}

/**
 * The class {@linkcode ForkingMixIn} returns: `Base` with
 * {@linkcode ForkingServer}'s members.
 */
export type ForkingMixed<T extends PoolableServerClass> =
  & T
  // deno-lint-ignore no-explicit-any
  & (abstract new (...args: any[]) => ForkingServer);

/**
 * Makes a server run each handler in one of `maxChildren` child processes.
 *
 * JavaScript runtimes cannot `fork()`: each child is a new process of the
 * same runtime that loads the handler's module, started when the server is
 * activated and kept for its life. The server passes each connection (its
 * descriptor) to the least busy child, which serves it; with
 * `listenInChildren` the children accept on the port themselves. Datagrams
 * are relayed to the least busy child, unless the children bind the port
 * (`listenInChildren`, Bun and Node). Choose
 * it over threads when a handler may crash its process or must not share
 * one (native add-ons, `process.exit()`, memory limits per process).
 *
 * On Deno the children get the permissions the server has (`--allow-*` for
 * each one granted in full) and need `--allow-run` to start.
 *
 * @example Upper-casing lines in two child processes
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { ForkingMixIn, TCPServer } from "../../mod.ts";
 * import { UpperHandler } from "../../examples/upper_handler.ts";
 *
 * class Server extends ForkingMixIn(TCPServer) {
 *   override maxChildren = 2;
 * }
 * await using server = new Server({ hostname: "127.0.0.1", port: 0 }, UpperHandler);
 * await server.ready(); // the children have loaded UpperHandler
 * assert.equal(server.activeChildren.size, 2);
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
 * @returns An abstract subclass; extend it (or use `ForkingTCPServer` and
 * its siblings).
 */
export function ForkingMixIn<T extends PoolableServerClass>(
  Base: T,
): ForkingMixed<T> {
  const Pooled = poolMixIn(Base, {
    kind: "process",
    sizeName: "maxChildren",
    size: (server) => (server as PoolableServer & ForkingServer).maxChildren,
    daemon: () => false,
    listens: {
      name: "listenInChildren",
      of: (server) =>
        (server as PoolableServer & ForkingServer).listenInChildren,
    },
  });
  abstract class Forking extends Pooled implements ForkingServer {
    maxChildren: number = defaultPoolSize();
    listenInChildren = false;
  }
  return Forking;
}

/** `TCPServer` with {@linkcode ForkingMixIn}: the base of `ForkingTCPServer`. */
export const TCPServerForking: ForkingMixed<typeof TCPServer> = ForkingMixIn(
  TCPServer,
);

/**
 * `TCPServer` serving connections in a pool of child processes. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ForkingTCPServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ForkingTCPServer({ hostname: "127.0.0.1", port: 9999 }, Handler);
 * await server.serveForever();
 * ```
 */
export class ForkingTCPServer extends TCPServerForking {}

/** `UDPServer` with {@linkcode ForkingMixIn}: the base of `ForkingUDPServer`. */
export const UDPServerForking: ForkingMixed<typeof UDPServer> = ForkingMixIn(
  UDPServer,
);

/**
 * `UDPServer` serving datagrams in a pool of child processes. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ForkingUDPServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ForkingUDPServer({ hostname: "127.0.0.1", port: 9999 }, Handler);
 * await server.serveForever();
 * ```
 */
export class ForkingUDPServer extends UDPServerForking {}

/** `UnixStreamServer` with {@linkcode ForkingMixIn}: the base of `ForkingUnixStreamServer`. */
export const UnixStreamServerForking: ForkingMixed<typeof UnixStreamServer> =
  ForkingMixIn(UnixStreamServer);

/**
 * `UnixStreamServer` serving connections in a pool of child processes. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ForkingUnixStreamServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ForkingUnixStreamServer({ path: "/tmp/s.sock" }, Handler);
 * await server.serveForever();
 * ```
 */
export class ForkingUnixStreamServer extends UnixStreamServerForking {}

/** `UnixDatagramServer` with {@linkcode ForkingMixIn}: the base of `ForkingUnixDatagramServer`. */
export const UnixDatagramServerForking: ForkingMixed<
  typeof UnixDatagramServer
> = ForkingMixIn(UnixDatagramServer);

/**
 * `UnixDatagramServer` serving datagrams in a pool of child processes. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ForkingUnixDatagramServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ForkingUnixDatagramServer({ path: "/tmp/s.sock" }, Handler);
 * await server.serveForever();
 * ```
 */
export class ForkingUnixDatagramServer extends UnixDatagramServerForking {}
