/**
 * The predefined forking servers: each server class with
 * {@linkcode ForkingMixIn}.
 *
 * @module
 */

import { TCPServer } from "../server/tcp_server.ts";
import { UDPServer } from "../server/udp_server.ts";
import { UnixDatagramServer } from "../server/unix_datagram_server.ts";
import { UnixStreamServer } from "../server/unix_stream_server.ts";
import { type ForkingMixed, ForkingMixIn } from "./forking_mixin.ts";

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
