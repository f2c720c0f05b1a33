/**
 * The predefined event-loop servers: each server class with
 * {@linkcode EventLoopMixIn}.
 *
 * @module
 */

import { TCPServer } from "../server/tcp_server.ts";
import { UDPServer } from "../server/udp_server.ts";
import { UnixDatagramServer } from "../server/unix_datagram_server.ts";
import { UnixStreamServer } from "../server/unix_stream_server.ts";
import { type EventLoopMixed, EventLoopMixIn } from "./event_loop_mixin.ts";

/** `TCPServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopTCPServer`. */
export const TCPServerEventLoop: EventLoopMixed<typeof TCPServer> =
  EventLoopMixIn(
    TCPServer,
  );

/**
 * `TCPServer` serving connections concurrently on the event loop.
 *
 * @example
 * ```ts
 * import { EventLoopTCPServer, StreamRequestHandler } from "../../mod.ts";
 *
 * await using server = new EventLoopTCPServer({ hostname: "127.0.0.1", port: 0 }, StreamRequestHandler);
 * server.maxConnections = 100;
 * await server.ready();
 * ```
 */
export class EventLoopTCPServer extends TCPServerEventLoop {}

/** `UDPServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopUDPServer`. */
export const UDPServerEventLoop: EventLoopMixed<typeof UDPServer> =
  EventLoopMixIn(
    UDPServer,
  );

/**
 * `UDPServer` serving datagrams concurrently on the event loop.
 *
 * @example
 * ```ts
 * import { DatagramRequestHandler, EventLoopUDPServer } from "../../mod.ts";
 *
 * await using server = new EventLoopUDPServer({ hostname: "127.0.0.1", port: 0 }, DatagramRequestHandler);
 * await server.ready();
 * ```
 */
export class EventLoopUDPServer extends UDPServerEventLoop {}

/** `UnixStreamServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopUnixStreamServer`. */
export const UnixStreamServerEventLoop: EventLoopMixed<
  typeof UnixStreamServer
> = EventLoopMixIn(
  UnixStreamServer,
);

/**
 * `UnixStreamServer` serving connections concurrently on the event loop.
 *
 * @example
 * ```ts ignore
 * import { EventLoopUnixStreamServer, StreamRequestHandler } from "../../mod.ts";
 *
 * await using server = new EventLoopUnixStreamServer({ path: "/tmp/s.sock" }, StreamRequestHandler);
 * await server.serveForever();
 * ```
 */
export class EventLoopUnixStreamServer extends UnixStreamServerEventLoop {}

/** `UnixDatagramServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopUnixDatagramServer`. */
export const UnixDatagramServerEventLoop: EventLoopMixed<
  typeof UnixDatagramServer
> = EventLoopMixIn(
  UnixDatagramServer,
);

/**
 * `UnixDatagramServer` serving datagrams concurrently on the event loop
 * (where the runtime has Unix datagram sockets).
 *
 * @example
 * ```ts ignore
 * import { DatagramRequestHandler, EventLoopUnixDatagramServer } from "../../mod.ts";
 *
 * await using server = new EventLoopUnixDatagramServer({ path: "/tmp/d.sock" }, DatagramRequestHandler);
 * await server.serveForever();
 * ```
 */
export class EventLoopUnixDatagramServer extends UnixDatagramServerEventLoop {}
