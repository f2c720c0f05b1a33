/**
 * `UDPServer`: a datagram server on an IPv4 or IPv6 address.
 *
 * @module
 */

import { checkNetAddress } from "../address.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import type { DatagramRequest } from "../handler/datagram_handler.ts";
import type { DatagramEndpoint, NetAddress } from "../transport.ts";
import { datagramPortSharing, DatagramServer } from "./datagram_server.ts";
import {
  checkSocketServerOptions,
  type SocketServerOptions,
} from "./socket_server.ts";

/** The keys the datagram servers' options may have. */
export const DATAGRAM_OPTION_KEYS = ["bindAndActivate", "driver"] as const;

/**
 * A UDP server that serves one datagram at a time, as Python's. Each
 * datagram is a request `[packet, socket]`; `clientAddress` is the sender's
 * `{ hostname, port }`. Use it with `DatagramRequestHandler`, whose
 * `wfile` becomes the reply.
 *
 * An IPv6 literal (`"::1"`, `"::"`) gives an IPv6 socket; a host name
 * binds its IPv4 address.
 *
 * @example A UDP time server (Python's documentation has its TCP twin)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSocket } from "node:dgram";
 * import { DatagramRequestHandler, UDPServer } from "../../mod.ts";
 *
 * class Time extends DatagramRequestHandler {
 *   override async handle() {
 *     await this.wfile.write(new Date().toISOString());
 *   }
 * }
 *
 * await using server = new UDPServer({ hostname: "127.0.0.1", port: 0 }, Time);
 * await server.ready();
 * const client = createSocket("udp4");
 * const reply = new Promise<string>((resolve) => client.once("message", (m) => resolve(String(m))));
 * client.send("what time is it?", server.serverAddress.port, "127.0.0.1");
 * await server.handleRequest();
 * assert.match(await reply, /^\d{4}-\d\d-\d\dT/);
 * client.close();
 * ```
 */
export class UDPServer extends DatagramServer<NetAddress> {
  /**
   * Makes the server and, unless `bindAndActivate` is `false`, binds it;
   * `ready()` tells when datagrams can arrive.
   *
   * @param serverAddress `{ hostname, port }`.
   * @param RequestHandlerClass A `BaseRequestHandler` subclass (usually of
   * `DatagramRequestHandler`), or a function `(request, clientAddress, server)`.
   * @param options `bindAndActivate` (default `true`) and `driver`.
   * @throws {TypeError} For a malformed address, handler or option.
   * @throws {RangeError} For a port outside 0-65535.
   */
  constructor(
    serverAddress: NetAddress,
    RequestHandlerClass: RequestHandlerClass<
      DatagramRequest<NetAddress>,
      NetAddress,
      // deno-lint-ignore no-explicit-any
      any
    >,
    options: SocketServerOptions = {},
  ) {
    const driver = checkSocketServerOptions(
      options,
      DATAGRAM_OPTION_KEYS,
      "UDPServer",
    );
    super(
      checkNetAddress(serverAddress),
      RequestHandlerClass,
      driver,
      options.bindAndActivate ?? true,
    );
  }

  /** `"AF_INET6"` for an IPv6 address, else `"AF_INET"` (Python's attribute). */
  get addressFamily(): "AF_INET" | "AF_INET6" {
    return this.serverAddress.hostname.includes(":") ? "AF_INET6" : "AF_INET";
  }

  /** Binds `serverAddress`. */
  protected override async openSocket(): Promise<
    DatagramEndpoint<NetAddress>
  > {
    const share = datagramPortSharing(this);
    const options = {
      hostname: this.serverAddress.hostname,
      port: this.serverAddress.port,
      // Workers that bind the port themselves join it this way.
      reusePort: this.allowReusePort || share !== undefined,
    };
    const endpoint = await this.driver.bindUdp(options);
    if (!share) return endpoint;
    const { port } = endpoint.address;
    return share(endpoint, () => this.driver.bindUdp({ ...options, port }));
  }
}
