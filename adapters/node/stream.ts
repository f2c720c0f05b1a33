/**
 * Node's stream listeners (`node:net`, TLS through `node:tls` on their
 * connections): TCP and Unix, and passable ones whose connections go to
 * workers unread. They run on Deno's and Bun's `node:net` too.
 *
 * @module
 */

import * as net from "node:net";
import type * as tls from "node:tls";
import { SocketError, toSocketError } from "../../src/errors.ts";
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
import { handleFd, NodeConn, secureHandshakes } from "../_node/conn.ts";
import { nearDescriptorLimit } from "../_node/descriptors.ts";
import { bindUnixPath } from "../_node/unix_path.ts";
import type { HandshakeGate } from "../_shared/handshakes.ts";
import { AcceptQueue } from "../_shared/push_queue.ts";

/** A `net.Server` whose connections are accepted by pull. */
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
export function bindError(error: unknown, host: string | undefined): Error {
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

/** Listens on TCP, with TLS if asked. */
export async function listenTcp(
  options: TcpListenOptions,
): Promise<StreamListener<NetAddress>> {
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
}

/** Listens on a Unix path, with TLS if asked. */
export function listenUnix(
  options: UnixListenOptions,
): Promise<StreamListener<UnixAddress>> {
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
}
