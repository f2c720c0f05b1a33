/**
 * `TCPServer`: a stream server on an IPv4 or IPv6 address, plain or TLS.
 *
 * @module
 */

import { checkNetAddress } from "../address.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import type { StreamSocket } from "../io/stream_socket.ts";
import type { NetAddress, StreamListener, TlsOptions } from "../transport.ts";
import {
  checkSocketServerOptions,
  type SocketServerOptions,
} from "./socket_server.ts";
import { checkTlsOptions, StreamServer } from "./stream_server.ts";

/** Options of the {@linkcode TCPServer} and `UnixStreamServer` constructors. */
export interface TCPServerOptions extends SocketServerOptions {
  /**
   * Serve TLS with the runtime's own TLS: `{ cert, key }` as PEM text.
   * Handlers see plain bytes; a client whose handshake fails never reaches
   * them.
   */
  tls?: TlsOptions;
}

/** The keys {@linkcode TCPServerOptions} may have. */
export const STREAM_OPTION_KEYS = ["bindAndActivate", "driver", "tls"] as const;

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
 */
export class TCPServer extends StreamServer<NetAddress> {
  #tls: TlsOptions | undefined;

  /**
   * Makes the server and, unless `bindAndActivate` is `false`, starts
   * binding it; `ready()` tells when it listens.
   *
   * @param serverAddress `{ hostname, port }`; an IPv4 or IPv6 literal or a
   * host name, and a port from 0 to 65535.
   * @param RequestHandlerClass A `BaseRequestHandler` subclass, or a function
   * `(request, clientAddress, server)`.
   * @param options `bindAndActivate` (default `true`), `driver` and `tls`.
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
      STREAM_OPTION_KEYS,
      "TCPServer",
    );
    const tls = checkTlsOptions(options.tls);
    super(
      checkNetAddress(serverAddress),
      RequestHandlerClass,
      driver,
      options.bindAndActivate ?? true,
    );
    this.#tls = tls;
  }

  /** `"AF_INET6"` for an IPv6 address, else `"AF_INET"` (Python's attribute). */
  get addressFamily(): "AF_INET" | "AF_INET6" {
    return this.serverAddress.hostname.includes(":") ? "AF_INET6" : "AF_INET";
  }

  /** Binds and listens on `serverAddress`. */
  protected override openSocket(): Promise<StreamListener<NetAddress>> {
    return this.driver.listenTcp({
      hostname: this.serverAddress.hostname,
      port: this.serverAddress.port,
      backlog: this.requestQueueSize,
      reusePort: this.allowReusePort,
      tls: this.#tls,
    });
  }
}
