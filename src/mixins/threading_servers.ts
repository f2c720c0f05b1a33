/**
 * The predefined threading servers: each server class with
 * {@linkcode ThreadingMixIn}.
 *
 * @module
 */

import { TCPServer } from "../server/tcp_server.ts";
import { UDPServer } from "../server/udp_server.ts";
import { UnixDatagramServer } from "../server/unix_datagram_server.ts";
import { UnixStreamServer } from "../server/unix_stream_server.ts";
import { type ThreadingMixed, ThreadingMixIn } from "./threading_mixin.ts";

/** `TCPServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingTCPServer`. */
export const TCPServerThreading: ThreadingMixed<typeof TCPServer> =
  ThreadingMixIn(TCPServer);

/**
 * `TCPServer` serving connections in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingTCPServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingTCPServer({ hostname: "127.0.0.1", port: 9999 }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingTCPServer extends TCPServerThreading {}

/** `UDPServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingUDPServer`. */
export const UDPServerThreading: ThreadingMixed<typeof UDPServer> =
  ThreadingMixIn(UDPServer);

/**
 * `UDPServer` serving datagrams in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingUDPServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingUDPServer({ hostname: "127.0.0.1", port: 9999 }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingUDPServer extends UDPServerThreading {}

/** `UnixStreamServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingUnixStreamServer`. */
export const UnixStreamServerThreading: ThreadingMixed<
  typeof UnixStreamServer
> = ThreadingMixIn(UnixStreamServer);

/**
 * `UnixStreamServer` serving connections in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingUnixStreamServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingUnixStreamServer({ path: "/tmp/s.sock" }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingUnixStreamServer extends UnixStreamServerThreading {}

/** `UnixDatagramServer` with {@linkcode ThreadingMixIn}: the base of `ThreadingUnixDatagramServer`. */
export const UnixDatagramServerThreading: ThreadingMixed<
  typeof UnixDatagramServer
> = ThreadingMixIn(UnixDatagramServer);

/**
 * `UnixDatagramServer` serving datagrams in a pool of worker threads. The handler
 * must be exported from its module with `static module = import.meta.url`.
 *
 * @example
 * ```ts ignore
 * import { ThreadingUnixDatagramServer } from "@socketserver/socketserver";
 * import { Handler } from "./handler.ts"; // static module = import.meta.url
 *
 * await using server = new ThreadingUnixDatagramServer({ path: "/tmp/s.sock" }, Handler);
 * await server.serveForever();
 * ```
 */
export class ThreadingUnixDatagramServer extends UnixDatagramServerThreading {}
