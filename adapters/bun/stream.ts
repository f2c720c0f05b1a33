/**
 * Bun's stream listeners (`Bun.listen`): TCP and Unix, plain or TLS. A TLS
 * connection is queued once its handshake succeeded.
 *
 * @module
 */

import type {
  NetAddress,
  SocketAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
  TlsOptions,
  UnixAddress,
  UnixListenOptions,
} from "../../src/transport.ts";
import { connectionError, NotSupportedError } from "../../src/errors.ts";
import { nearDescriptorLimit } from "../_node/descriptors.ts";
import { bindUnixPath } from "../_node/unix_path.ts";
import { bindNow } from "../_shared/bind_now.ts";
import { HandshakeGate } from "../_shared/handshakes.ts";
import { AcceptQueue } from "../_shared/push_queue.ts";
import {
  bun,
  type BunHandlers,
  type BunListener,
  type BunSocket,
} from "./api.ts";
import { BunConn } from "./conn.ts";

/** A Bun listener whose connections are accepted by pull. */
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

/** What a connected socket reports, to its {@linkcode BunConn}. */
export const connectionEvents: Pick<
  BunHandlers,
  "binaryType" | "data" | "drain" | "end" | "close" | "error"
> = {
  binaryType: "uint8array",
  data: (socket, chunk) => socket.data?.input.push(chunk),
  drain: (socket) => socket.data?.onDrain(),
  end: (socket) => socket.data?.input.end(),
  close: (socket, error) => socket.data?.onClose(error),
  error: (socket, error) =>
    socket.data?.input.end(
      connectionError(error, "EIO", "recv from", socket.data.remoteAddress),
    ),
};

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
    ...connectionEvents,
  };
}

/** Bun gives no code when the host does not resolve. */
const bindCode = () => "ENOTFOUND";

/** What Bun's sockets cannot do, refused: be passed to another process. */
function refusal(
  options: { passable?: boolean },
): NotSupportedError | undefined {
  if (options.passable) {
    return new NotSupportedError(
      "Bun's own sockets cannot be passed to another process; use node:net",
    );
  }
}

/** Listens on TCP, with TLS if asked. */
export function listenTcp(
  options: TcpListenOptions,
): Promise<StreamListener<NetAddress>> {
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
    const refused = refusal(options);
    if (refused) throw refused;
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
  }, bindCode);
}

/** Listens on a Unix path, with TLS if asked. */
export function listenUnix(
  options: UnixListenOptions,
): Promise<StreamListener<UnixAddress>> {
  const refused = refusal(options);
  if (refused) return Promise.reject(refused);
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
      ), bindCode);
  }, options.mode);
}
