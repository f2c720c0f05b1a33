/**
 * The code that runs inside a worker thread or child process: loads the
 * handler class, then runs a handler for each request the server relays.
 *
 * @module
 */

import { type Deferred, deferred } from "../_deferred.ts";
import { describe } from "../address.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import { runHandler } from "../handler/run_handler.ts";
import { DatagramSocket } from "../io/datagram_socket.ts";
import { IdleWatch } from "../io/idle_watch.ts";
import { readProxyHeader } from "../proxy/header.ts";
import { StreamSocket } from "../io/stream_socket.ts";
import type { HandoffSettings } from "../server/stream_server.ts";
import type {
  SocketAddress,
  StreamConn,
  TcpListenOptions,
  UdpBindOptions,
} from "../transport.ts";
import {
  fromWire,
  type FromWorker,
  toWire,
  type ToWorker,
} from "./messages.ts";
import { type OpenListener, PortShare } from "./port_share.ts";
import { type OpenDatagram, PacketShare } from "./packet_share.ts";
import { RemoteConn, RemoteEndpoint } from "./remote_conn.ts";
import { WorkerServer } from "./worker_server.ts";
import { importHandlerModule } from "../_handler_module.ts";

/** The worker's end of its link to the server. */
export interface ParentPort {
  /**
   * Sends a message to the server. The bytes of a `write` are copied before
   * this returns; `transfer` lists other buffers the server takes over.
   */
  send(message: FromWorker, transfer?: ArrayBuffer[]): void;
  /** Sets the function that receives the server's messages, in order. */
  listen(receive: (message: ToWorker) => void): void;
  /**
   * Sets the function that receives the connections the server hands over
   * (over a child's IPC channel, or in a Node thread's messages), ready to
   * serve: TLS done.
   */
  adopt?(receive: (connection: Adopted) => void): void;
  /**
   * Opens a listener of the worker's own with the named driver's sockets:
   * every child process, and threads where the host offers
   * `threadListeners` (see `port_share.ts`).
   */
  listenTcp?: OpenListener;
  /** Binds a UDP socket of the worker's own, as {@linkcode listenTcp}. */
  bindUdp?: OpenDatagram;
}

/** A connection this worker serves itself, and what it must apply to it. */
export interface Adopted {
  /** The request's id at the server. */
  id: number;
  /**
   * The connection, ready to read and write; `null` if it was lost before
   * it could be served (a failed TLS handshake), which ends the request.
   */
  conn: StreamConn<SocketAddress> | null;
  /** The server's settings: the PROXY header, the idle cut. */
  settings: HandoffSettings;
}

/**
 * Serves the requests the server sends over `port` until the worker is
 * stopped. The runtime's worker entry calls it.
 *
 * @param port The link to the server.
 */
export function serveParent(port: ParentPort): void {
  const send = port.send.bind(port);
  // deno-lint-ignore no-explicit-any
  let Handler: RequestHandlerClass<any, SocketAddress, WorkerServer>;
  let server: WorkerServer;
  const conns = new Map<number, RemoteConn>();
  const sends = new Map<number, Deferred<void>>();
  const shutdowns = new Map<number, Deferred<void>>();
  let seq = 0;
  const nextSeq = () => ++seq;

  // Connections served here: the server may ask to close them (closeGrace).
  const adopted = new Map<number, StreamSocket>();
  let idleLimit: number | null = null;
  const idle = new IdleWatch(() => idleLimit);

  /** Python's `finish_request` and `shutdown_request` for one connection. */
  const serve = async ({ id, conn, settings }: Adopted) => {
    if (conn === null) return send({ t: "done", id });
    const socket = new StreamSocket(conn);
    adopted.set(id, socket);
    idleLimit = settings.idleTimeout;
    idle.watch(socket);
    try {
      let client = conn.remoteAddress;
      const headerTimeout = settings.proxyHeaderTimeout;
      if (headerTimeout !== null) {
        client = (await readProxyHeader(socket, headerTimeout)).source ??
          client;
      }
      await runHandler(Handler, socket, client, server);
    } catch (error) {
      // As Python: handleError runs before the connection closes, so the
      // server closes it ("close") once it has reported the error.
      send({ t: "done", id, error: toWire(error) });
      return;
    }
    await closeAdopted(id);
    send({ t: "done", id });
  };
  /** Python's `shutdown_request`: FIN after the writes, then close. */
  const closeAdopted = async (id: number) => {
    const socket = adopted.get(id);
    if (!socket) return;
    adopted.delete(id);
    idle.forget(socket);
    try {
      await socket.shutdown();
    } catch {
      // the peer may be gone
    }
    socket.close();
  };
  port.adopt?.((connection) => void serve(connection));

  let share: PortShare | PacketShare | undefined;
  let shareSettings: HandoffSettings | undefined;
  const startSharing = async (m: ToWorker & { t: "share" }) => {
    try {
      const { listenTcp, bindUdp } = port;
      if (m.maxPacketSize !== undefined) {
        if (!bindUdp) throw new Error("this worker cannot bind a UDP socket");
        const endpoint = await bindUdp(m.driver, m.options as UdpBindOptions);
        const packets: PacketShare = new PacketShare(
          endpoint,
          m.maxPacketSize,
          send,
          (datagram) =>
            runHandler(
              Handler,
              [datagram.data, packets.socket],
              datagram.from,
              server,
            )
              .catch((error) =>
                send({
                  t: "packetFailed",
                  bytes: datagram.data,
                  from: datagram.from,
                  error: toWire(error),
                })
              ),
          m.auto === true,
        );
        share = packets;
      } else {
        if (!listenTcp) {
          throw new Error("this worker cannot open a listener of its own");
        }
        const options = m.options as TcpListenOptions;
        share = new PortShare(await listenTcp(m.driver, options), send);
      }
      shareSettings = m.settings;
      send({ t: "sharing" });
    } catch (error) {
      send({ t: "shareFailed", error: toWire(error) });
    }
  };

  const run = async (id: number, request: unknown, client: SocketAddress) => {
    let message: FromWorker = { t: "done", id };
    try {
      await runHandler(Handler, request, client, server);
    } catch (error) {
      message = { t: "done", id, error: toWire(error) };
    }
    conns.delete(id);
    send(message);
  };

  port.listen((m) => {
    switch (m.t) {
      case "init":
        loadHandler(m.module, m.exportName).then((found) => {
          Handler = found;
          server = new WorkerServer(
            m.server.serverAddress,
            m.server.workerData,
            m.workerId,
            () => {
              const asked = deferred();
              const n = nextSeq();
              shutdowns.set(n, asked);
              send({ t: "shutdown", seq: n });
              return asked.promise;
            },
          );
          send({ t: "ready" });
        }, (error) => send({ t: "failed", error: toWire(error) }));
        break;
      case "open": {
        const conn = new RemoteConn(m.id, m.local, m.remote, send);
        conns.set(m.id, conn);
        void run(m.id, new StreamSocket(conn), m.remote);
        break;
      }
      case "data":
        conns.get(m.id)?.push(m.bytes);
        break;
      case "eof":
        conns.get(m.id)?.end(m.error && fromWire(m.error));
        break;
      case "ack":
        conns.get(m.id)?.written(m.n, m.error && fromWire(m.error));
        break;
      case "packet": {
        const endpoint = new RemoteEndpoint(
          m.id,
          m.local,
          send,
          sends,
          nextSeq,
        );
        const request = [m.bytes, new DatagramSocket(endpoint)];
        void run(m.id, request, m.remote);
        break;
      }
      case "sent": {
        const sent = sends.get(m.seq);
        sends.delete(m.seq);
        if (m.error) sent?.reject(fromWire(m.error));
        else sent?.resolve();
        break;
      }
      case "shutdownDone":
        shutdowns.get(m.seq)?.resolve();
        shutdowns.delete(m.seq);
        break;
      case "close":
        // After a reported error, or past closeGrace: the handler, if it
        // still runs, reads end of stream from here on.
        void closeAdopted(m.id);
        break;
      case "share":
        void startSharing(m);
        break;
      case "serve": {
        if (share instanceof PacketShare) {
          const datagram = share.take(m.held);
          if (!datagram) send({ t: "done", id: m.id });
          else {
            share.track(
              run(m.id, [datagram.data, share.socket], datagram.from),
            );
          }
          break;
        }
        // null: the connection is gone; serve() ends the request at once.
        const conn = share?.take(m.held) ?? null;
        void serve({ id: m.id, conn, settings: shareSettings! });
        break;
      }
      case "drop":
        share?.drop(m.held);
        break;
      case "unshare":
        // Answered even with no socket yet (the server waits for UDP ones).
        void Promise.resolve(share?.close()).then(() => send({ t: "drained" }));
        break;
      case "auto":
        if (share instanceof PacketShare) share.setAuto(m.on);
        if (!m.on) send({ t: "paused" });
        break;
    }
  });
}

/** Imports the handler's module and finds the class by its exported name. */
async function loadHandler(
  module: string,
  exportName: string,
  // deno-lint-ignore no-explicit-any
): Promise<RequestHandlerClass<any, SocketAddress, WorkerServer>> {
  let loaded: Awaited<ReturnType<typeof importHandlerModule>>;
  try {
    loaded = await importHandlerModule(() => import(module));
  } catch (error) {
    throw new Error(
      `cannot import ${exportName} from ${module}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  // A one-file program: its top level constructed a server, which gave
  // its handler and stopped there (see _handler_module.ts).
  const exports = loaded.exports ?? {};
  const found = loaded.constructed?.get(exportName) ?? exports[exportName] ??
    (typeof exports.default === "function" &&
        exports.default.name === exportName
      ? exports.default
      : undefined);
  if (typeof found !== "function" && loaded.constructed) {
    throw new Error(
      `the handler module ${module} starts a server at its top level with ${
        [...loaded.constructed.keys()].join(", ") || "no named handler"
      }, not ${exportName}: guard start-up with \`if (import.meta.main)\`, so that workers importing the module start nothing`,
    );
  }
  if (typeof found !== "function") {
    throw new Error(
      `the handler module ${module} has no export named ${exportName} (found ${
        describe(found)
      }): export the handler class under its own name`,
    );
  }
  // deno-lint-ignore no-explicit-any
  return found as RequestHandlerClass<any, SocketAddress, WorkerServer>;
}
