/**
 * Starts the benchmark's TCP server of a given kind on a port and serves
 * until killed: `tcpserver` (sequential), `eventloop`, `threading`,
 * `listening` (threads with `listenInThreads`), `forking` or
 * `forklistening` (children with `listenInChildren`); the pools have 2
 * workers, the machine's cores. `LISTEN_IN_THREADS=1` and
 * `LISTEN_IN_CHILDREN=1` in the environment make `threading` and `forking`
 * listen in their workers too (for `cpu-per-echo.sh`, which knows only the
 * four kinds).
 *
 * @module
 */

import process from "node:process";
import {
  EventLoopTCPServer,
  ForkingTCPServer,
  type RequestHandlerClass,
  type StreamSocket,
  TCPServer,
  ThreadingTCPServer,
} from "../mod.ts";

const KINDS = {
  tcpserver: TCPServer,
  eventloop: EventLoopTCPServer,
  threading: ThreadingTCPServer,
  listening: ThreadingTCPServer,
  forking: ForkingTCPServer,
  forklistening: ForkingTCPServer,
} as const;

/** The kinds of server the benchmark compares. */
export type Kind = keyof typeof KINDS;

/**
 * Serves `Handler` with a server of `kind` on 127.0.0.1:`port`.
 *
 * @param port The port.
 * @param kind Which server class.
 * @param Handler The handler (with `static module` for the worker kinds).
 * @param workers Threads or children for the worker kinds.
 * @param unbounded No connection cap and no idle cut: the idle workload
 * holds thousands of silent clients.
 */
export async function serve(
  port: number,
  kind: string,
  // deno-lint-ignore no-explicit-any
  Handler: RequestHandlerClass<StreamSocket, any, any>,
  workers = 2,
  unbounded = false,
): Promise<void> {
  if (!(kind in KINDS)) throw new Error(`unknown server kind ${kind}`);
  const server = new KINDS[kind as Kind](
    { hostname: "127.0.0.1", port },
    Handler,
    { bindAndActivate: false },
  );
  server.requestQueueSize = unbounded ? 4096 : 1024;
  if (unbounded && server instanceof EventLoopTCPServer) {
    server.maxConnections = 1_000_000;
    server.idleTimeout = null;
  }
  if (server instanceof ThreadingTCPServer) {
    server.poolSize = workers;
    server.listenInThreads = kind === "listening" ||
      process.env.LISTEN_IN_THREADS === "1";
  }
  if (server instanceof ForkingTCPServer) {
    server.maxChildren = workers;
    server.listenInChildren = kind === "forklistening" ||
      process.env.LISTEN_IN_CHILDREN === "1";
  }
  await server.serverBind();
  await server.serverActivate();
  await server.serveForever();
}
