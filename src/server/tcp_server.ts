/**
 * `TCPServer`: a stream server on an IPv4 or IPv6 address, plain or TLS.
 *
 * @module
 */

import { checkNetAddress } from "../address.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import { readProxyHeader } from "../proxy/header.ts";
import type { StreamSocket } from "../io/stream_socket.ts";
import { checkDuration } from "../options.ts";
import type { NetAddress, StreamListener, TlsOptions } from "../transport.ts";
import { checkSocketServerOptions } from "./socket_server.ts";
import {
  checkTlsOptions,
  HANDOFF_SETTINGS,
  type HandoffSettings,
  passesConnections,
  portSharing,
  STREAM_OPTION_KEYS,
  StreamServer,
  type StreamServerOptions,
} from "./stream_server.ts";

/** {@linkcode TCPServerOptions.proxyHeaderTimeout}'s default: five seconds. */
export const DEFAULT_PROXY_HEADER_TIMEOUT = 5_000;

/** Options of the {@linkcode TCPServer} constructor. */
export interface TCPServerOptions extends StreamServerOptions {
  /**
   * Read a PROXY protocol header (version 1 or 2, as HAProxy's
   * `send-proxy` and `send-proxy-v2` or nginx's `proxy_protocol on` send
   * it) at the start of every connection, and give the handler the client
   * it names as `clientAddress` (default `false`). A connection without a
   * valid header is closed and reported with a `ProxyProtocolError`. Turn
   * it on only behind a proxy that sends it: anyone who can connect
   * directly can claim any address, so accept only the proxy's address in
   * `verifyRequest`, which sees the connection's own peer.
   */
  proxyProtocol?: boolean;
  /**
   * With `proxyProtocol`, how long the header may take to arrive, in ms
   * (default 5 000); past it the connection is closed and a `TimeoutError`
   * reported.
   */
  proxyHeaderTimeout?: number;
}

const TCP_OPTION_KEYS = [
  ...STREAM_OPTION_KEYS,
  "proxyProtocol",
  "proxyHeaderTimeout",
] as const;

/**
 * A TCP server that serves one connection at a time, as Python's. For each
 * connection the handler gets a {@linkcode StreamSocket} as `request`.
 *
 * `serverAddress` is `{ hostname, port }`; port 0 picks a free port, and
 * after `ready()` `serverAddress` holds the real one. An IPv6 literal
 * (`"::1"`, `"::"`) gives an IPv6 server.
 *
 * @example The echo server from Python's documentation
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { StreamRequestHandler, TCPServer } from "../../mod.ts";
 *
 * class LineEcho extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, LineEcho);
 * await server.ready();
 * const serving = server.serveForever();
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(server.serverAddress.port, "127.0.0.1", () => client.end("hello\n"));
 *   let text = "";
 *   client.on("data", (data) => text += data);
 *   client.on("end", () => resolve(text));
 * });
 * assert.equal(reply, "hello\n");
 * await server.shutdown();
 * await serving;
 * ```
 *
 * @example Behind a load balancer: the client named in the PROXY header
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { StreamRequestHandler, TCPServer } from "../../mod.ts";
 *
 * class Who extends StreamRequestHandler {
 *   override async handle() {
 *     await this.wfile.write(`${this.clientAddress.hostname}\n`);
 *   }
 * }
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, Who, {
 *   proxyProtocol: true,
 * });
 * await server.ready();
 * const serving = server.serveForever();
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(server.serverAddress.port, "127.0.0.1", () =>
 *     // What HAProxy's `send-proxy` sends before the client's bytes.
 *     client.write("PROXY TCP4 203.0.113.7 127.0.0.1 51000 80\r\n"));
 *   let text = "";
 *   client.on("data", (data) => text += data);
 *   client.on("end", () => resolve(text));
 * });
 * assert.equal(reply, "203.0.113.7\n");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class TCPServer extends StreamServer<NetAddress> {
  #tls: TlsOptions | undefined;
  /** `null` unless `proxyProtocol` is on. */
  #proxyHeaderTimeout: number | null;

  /**
   * Makes the server and, unless `bindAndActivate` is `false`, starts
   * binding it; `ready()` tells when it listens.
   *
   * @param serverAddress `{ hostname, port }`; an IPv4 or IPv6 literal or a
   * host name, and a port from 0 to 65535.
   * @param RequestHandlerClass A `BaseRequestHandler` subclass, or a function
   * `(request, clientAddress, server)`.
   * @param options `bindAndActivate` (default `true`), `driver`, `tls`,
   * `proxyProtocol` and `proxyHeaderTimeout`.
   * @throws {TypeError} For a malformed address, handler or option.
   * @throws {RangeError} For a port outside 0-65535.
   */
  constructor(
    serverAddress: NetAddress,
    RequestHandlerClass: RequestHandlerClass<
      StreamSocket,
      NetAddress,
      // deno-lint-ignore no-explicit-any
      any
    >,
    options: TCPServerOptions = {},
  ) {
    const driver = checkSocketServerOptions(
      options,
      TCP_OPTION_KEYS,
      "TCPServer",
    );
    const tls = checkTlsOptions(options.tls);
    const { proxyProtocol = false } = options;
    const { proxyHeaderTimeout = DEFAULT_PROXY_HEADER_TIMEOUT } = options;
    if (typeof proxyProtocol !== "boolean") {
      throw new TypeError("proxyProtocol must be a boolean");
    }
    checkDuration(proxyHeaderTimeout, "proxyHeaderTimeout");
    if (proxyHeaderTimeout === null) {
      throw new RangeError("proxyHeaderTimeout must be a number of ms");
    }
    if (proxyProtocol && tls) {
      throw new TypeError(
        "proxyProtocol cannot be combined with tls: the PROXY header comes before the TLS handshake, which the runtime's TLS does itself; end TLS at the proxy",
      );
    }
    super(
      checkNetAddress(serverAddress),
      RequestHandlerClass,
      driver,
      options.bindAndActivate ?? true,
    );
    this.#tls = tls;
    this.#proxyHeaderTimeout = proxyProtocol ? proxyHeaderTimeout : null;
  }

  /**
   * With `proxyProtocol`, reads the connection's PROXY header and returns
   * the client it names; for a header that names none (a proxy's health
   * check), `peer`.
   *
   * @param request The connection.
   * @param peer The connection's peer: the proxy.
   * @returns The client's address.
   * @throws {ProxyProtocolError} For a missing or malformed header.
   * @throws {TimeoutError} When the header takes longer than
   * `proxyHeaderTimeout`.
   */
  override clientAddressOf(
    request: StreamSocket,
    peer: NetAddress,
  ): NetAddress | Promise<NetAddress> {
    const timeout = this.#proxyHeaderTimeout;
    if (timeout === null) return peer;
    return readProxyHeader(request, timeout).then((header) =>
      header.source ?? peer
    );
  }

  /** `"AF_INET6"` for an IPv6 address, else `"AF_INET"` (Python's attribute). */
  get addressFamily(): "AF_INET" | "AF_INET6" {
    return this.serverAddress.hostname.includes(":") ? "AF_INET6" : "AF_INET";
  }

  /**
   * What a child serving these connections applies: TLS, the PROXY header.
   *
   * @ignore
   */
  override [HANDOFF_SETTINGS](): HandoffSettings {
    return {
      ...super[HANDOFF_SETTINGS](),
      tls: this.#tls,
      proxyHeaderTimeout: this.#proxyHeaderTimeout,
    };
  }

  /** Binds and listens on `serverAddress`. */
  protected override async openSocket(): Promise<StreamListener<NetAddress>> {
    const passable = passesConnections(this);
    const share = portSharing(this);
    const options = {
      hostname: this.serverAddress.hostname,
      port: this.serverAddress.port,
      backlog: this.requestQueueSize,
      // Workers that listen on the port themselves join it this way.
      reusePort: this.allowReusePort || share !== undefined,
      // Children that take the connections over run the handshakes.
      tls: passable ? undefined : this.#tls,
      passable,
    };
    const listener = await this.driver.listenTcp(options);
    if (!share) return listener;
    const { port } = listener.address;
    return share(listener, () => this.driver.listenTcp({ ...options, port }));
  }
}
