/**
 * `UnixStreamServer`: a stream server on a Unix socket path.
 *
 * @module
 */

import { checkSocketMode, checkUnixAddress } from "../address.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import type { StreamSocket } from "../io/stream_socket.ts";
import type { StreamListener, TlsOptions, UnixAddress } from "../transport.ts";
import { checkSocketServerOptions } from "./socket_server.ts";
import {
  checkTlsOptions,
  HANDOFF_SETTINGS,
  type HandoffSettings,
  passesConnections,
  STREAM_OPTION_KEYS,
  StreamServer,
  type StreamServerOptions,
} from "./stream_server.ts";

/** The option the Unix servers add to the other servers' options. */
export interface UnixServerOptions {
  /**
   * Permission bits for the socket file, such as `0o660` (connecting needs
   * write permission), set right after binding. Left out, the file's mode
   * follows the process umask, as in Python. Clients can connect in the
   * moment between bind and chmod: for a guarantee, put the socket in a
   * directory only they can enter.
   */
  mode?: number;
}

/**
 * A stream server on a Unix socket: the same handlers as `TCPServer`, with
 * `serverAddress` `{ path }`. The socket file is removed by
 * `serverClose()`; a socket file left by a crashed run (nobody listening on
 * it) is replaced, while any other existing file fails with `EADDRINUSE`.
 * The file's mode follows the process umask, as Python's.
 *
 * `clientAddress` is `{ path: "" }` for the usual unnamed client; Deno
 * reports the path of a client that bound one, Bun and Node never do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { mkdtempSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { StreamRequestHandler, UnixStreamServer } from "../../mod.ts";
 *
 * class LineEcho extends StreamRequestHandler {
 *   override async handle() {
 *     await this.wfile.write(await this.rfile.readline());
 *   }
 * }
 *
 * const path = `${mkdtempSync(`${tmpdir()}/ss-`)}/echo.sock`;
 * await using server = new UnixStreamServer({ path }, LineEcho);
 * await server.ready();
 * const serving = server.serveForever();
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(path, () => client.write("hello\n"));
 *   let text = "";
 *   client.on("data", (data) => text += data);
 *   client.on("end", () => resolve(text));
 * });
 * assert.equal(reply, "hello\n");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class UnixStreamServer extends StreamServer<UnixAddress> {
  #tls: TlsOptions | undefined;
  #mode: number | undefined;

  /**
   * Makes the server and, unless `bindAndActivate` is `false`, starts
   * binding it; `ready()` tells when it listens.
   *
   * @param serverAddress `{ path }`: at most 107 bytes, or an abstract name
   * starting with `"\0"` (Linux).
   * @param RequestHandlerClass A `BaseRequestHandler` subclass, or a function
   * `(request, clientAddress, server)`.
   * @param options `bindAndActivate` (default `true`), `driver`, `tls` and
   * `mode` (the socket file's permission bits).
   * @throws {TypeError} For a malformed address, handler or option.
   * @throws {RangeError} For a path too long for a Unix socket, or a mode
   * past `0o777`.
   */
  constructor(
    serverAddress: UnixAddress,
    // Stream handlers written for TCP serve Unix clients unchanged.
    // deno-lint-ignore no-explicit-any
    RequestHandlerClass: RequestHandlerClass<StreamSocket, any, any>,
    options: UnixServerOptions & StreamServerOptions = {},
  ) {
    const driver = checkSocketServerOptions(
      options,
      [...STREAM_OPTION_KEYS, "mode"],
      "UnixStreamServer",
    );
    const tls = checkTlsOptions(options.tls);
    const address = checkUnixAddress(serverAddress);
    const mode = checkSocketMode(options.mode, address.path);
    super(
      address,
      RequestHandlerClass,
      driver,
      options.bindAndActivate ?? true,
    );
    this.#tls = tls;
    this.#mode = mode;
  }

  /** Always `"AF_UNIX"` (Python's attribute). */
  get addressFamily(): "AF_UNIX" {
    return "AF_UNIX";
  }

  /**
   * What a child serving these connections applies: TLS too.
   *
   * @ignore
   */
  override [HANDOFF_SETTINGS](): HandoffSettings {
    return { ...super[HANDOFF_SETTINGS](), tls: this.#tls };
  }

  /** Binds and listens on `serverAddress.path`. */
  protected override openSocket(): Promise<StreamListener<UnixAddress>> {
    const passable = passesConnections(this);
    return this.driver.listenUnix({
      path: this.serverAddress.path,
      backlog: this.requestQueueSize,
      // Children that take the connections over run the handshakes.
      tls: passable ? undefined : this.#tls,
      mode: this.#mode,
      passable,
    });
  }
}
