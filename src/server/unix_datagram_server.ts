/**
 * `UnixDatagramServer`: a datagram server on a Unix socket path, where the
 * runtime has one (Deno with `--unstable-net`).
 *
 * @module
 */

import { checkSocketMode, checkUnixAddress } from "../address.ts";
import { NotSupportedError } from "../errors.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import type { DatagramRequest } from "../handler/datagram_handler.ts";
import type { DatagramEndpoint, UnixAddress } from "../transport.ts";
import { DatagramServer } from "./datagram_server.ts";
import {
  checkSocketServerOptions,
  type SocketServerOptions,
} from "./socket_server.ts";
import { DATAGRAM_OPTION_KEYS } from "./udp_server.ts";
import type { UnixServerOptions } from "./unix_stream_server.ts";

/**
 * A datagram server on a Unix socket, with `serverAddress` `{ path }`.
 * `clientAddress` is the sender's bound path; a sender that bound none has
 * `{ path: "" }` and cannot be answered (the reply fails with
 * `EDESTADDRREQ`, reported through `handleError`, as Python fails).
 *
 * Only Deno's native driver has Unix datagram sockets, and only with
 * `--unstable-net`; elsewhere the constructor throws a
 * {@linkcode NotSupportedError}. The socket file is removed by
 * `serverClose()`.
 *
 * @example Deno with --unstable-net only
 * ```ts ignore
 * import { DatagramRequestHandler, UnixDatagramServer } from "../../mod.ts";
 *
 * class Echo extends DatagramRequestHandler {
 *   override async handle() {
 *     await this.wfile.write(this.packet);
 *   }
 * }
 *
 * await using server = new UnixDatagramServer({ path: "/tmp/echo.dgram" }, Echo);
 * await server.ready();
 * await server.serveForever();
 * ```
 */
export class UnixDatagramServer extends DatagramServer<UnixAddress> {
  #mode: number | undefined;

  /**
   * Makes the server and, unless `bindAndActivate` is `false`, binds it.
   *
   * @param serverAddress `{ path }`: at most 107 bytes, or an abstract name
   * starting with `"\0"` (Linux).
   * @param RequestHandlerClass A `BaseRequestHandler` subclass (usually of
   * `DatagramRequestHandler`), or a function `(request, clientAddress, server)`.
   * @param options `bindAndActivate` (default `true`), `driver` and `mode`
   * (the socket file's permission bits, as {@linkcode UnixServerOptions}).
   * @throws {NotSupportedError} Where the runtime has no Unix datagram
   * sockets; the message names the alternatives.
   * @throws {TypeError} For a malformed address, handler or option.
   * @throws {RangeError} For a path too long for a Unix socket.
   */
  constructor(
    serverAddress: UnixAddress,
    // Datagram handlers written for UDP serve Unix senders unchanged.
    // deno-lint-ignore no-explicit-any
    RequestHandlerClass: RequestHandlerClass<DatagramRequest<any>, any, any>,
    options: UnixServerOptions & SocketServerOptions = {},
  ) {
    const driver = checkSocketServerOptions(
      options,
      [...DATAGRAM_OPTION_KEYS, "mode"],
      "UnixDatagramServer",
    );
    const address = checkUnixAddress(serverAddress);
    const mode = checkSocketMode(options.mode, address.path);
    const why = driver.unsupported("unixDatagram");
    if (why !== undefined) {
      throw new NotSupportedError(`UnixDatagramServer: ${why}`);
    }
    super(
      address,
      RequestHandlerClass,
      driver,
      options.bindAndActivate ?? true,
    );
    this.#mode = mode;
  }

  /** Always `"AF_UNIX"` (Python's attribute). */
  get addressFamily(): "AF_UNIX" {
    return "AF_UNIX";
  }

  /** Binds `serverAddress.path`. */
  protected override openSocket(): Promise<DatagramEndpoint<UnixAddress>> {
    return this.driver.bindUnixDatagram({
      path: this.serverAddress.path,
      mode: this.#mode,
    });
  }
}
