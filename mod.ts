/**
 * Python's `socketserver` for Deno, Bun and Node: write a request handler
 * with `setup` / `handle` / `finish`, hand it to a server class, and call
 * `serveForever()`.
 *
 * The server uses the native sockets of the runtime it runs on (`Deno.listen`,
 * `Bun.listen`, `node:net`); pass a `driver` from `./adapters/*.ts` to choose.
 * Names follow TypeScript habits (`serve_forever` is `serveForever`) and
 * durations are milliseconds.
 *
 * @example A line echo server
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { StreamRequestHandler, TCPServer } from "./mod.ts";
 *
 * class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, Echo);
 * await server.ready();
 * const serving = server.serveForever();
 *
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(server.serverAddress.port, "127.0.0.1", () => client.end("ping\n"));
 *   let text = "";
 *   client.on("data", (data) => text += data);
 *   client.on("end", () => resolve(text));
 * });
 * assert.equal(reply, "ping\n");
 *
 * await server.shutdown();
 * await serving;
 * ```
 *
 * @module
 */

import { runtimeDriver } from "./adapters/detect.ts";
import { setDefaultDriver } from "./src/driver.ts";

setDefaultDriver(runtimeDriver);

export { formatAddress, UNIX_PATH_MAX } from "./src/address.ts";
export {
  closeOnSignals,
  type CloseOnSignalsOptions,
  CTRL_C_GRACE,
  type SignalClosable,
  type StoppingNotice,
} from "./src/server/close_on_signals.ts";
export {
  ErrorCode,
  LineTooLongError,
  NotSupportedError,
  ProxyProtocolError,
  ServerClosedError,
  SocketError,
  TimeoutError,
  WorkerError,
} from "./src/errors.ts";
export {
  BaseRequestHandler,
  type RequestHandlerClass,
} from "./src/handler/base_handler.ts";
export {
  type DatagramRequest,
  DatagramRequestHandler,
} from "./src/handler/datagram_handler.ts";
export { StreamRequestHandler } from "./src/handler/stream_handler.ts";
export { DatagramSocket } from "./src/io/datagram_socket.ts";
export {
  type ChunkSource,
  DEFAULT_LINE_LIMIT,
  type ReadlineOptions,
  SocketReader,
} from "./src/io/reader.ts";
export { StreamSocket } from "./src/io/stream_socket.ts";
export {
  type EventLoopMixed,
  EventLoopMixIn,
  type EventLoopServer,
  type MixableServer,
  type ServerClass,
} from "./src/mixins/event_loop_mixin.ts";
export {
  EventLoopTCPServer,
  EventLoopUDPServer,
  EventLoopUnixDatagramServer,
  EventLoopUnixStreamServer,
  // The mixed bases: JSR's fast type check wants a plain name after extends.
  TCPServerEventLoop,
  UDPServerEventLoop,
  UnixDatagramServerEventLoop,
  UnixStreamServerEventLoop,
} from "./src/mixins/event_loop_mixin.ts";
export {
  type ForkingMixed,
  ForkingMixIn,
  type ForkingServer,
} from "./src/mixins/forking_mixin.ts";
export {
  ForkingTCPServer,
  ForkingUDPServer,
  ForkingUnixDatagramServer,
  ForkingUnixStreamServer,
  TCPServerForking,
  UDPServerForking,
  UnixDatagramServerForking,
  UnixStreamServerForking,
} from "./src/mixins/forking_mixin.ts";
export {
  type PoolableServer,
  type PoolableServerClass,
  type PoolServer,
} from "./src/mixins/pool_mixin.ts";
export {
  type ThreadingMixed,
  ThreadingMixIn,
  type ThreadingServer,
} from "./src/mixins/threading_mixin.ts";
export {
  TCPServerThreading,
  ThreadingTCPServer,
  ThreadingUDPServer,
  ThreadingUnixDatagramServer,
  ThreadingUnixStreamServer,
  UDPServerThreading,
  UnixDatagramServerThreading,
  UnixStreamServerThreading,
} from "./src/mixins/threading_mixin.ts";
export { WorkerServer } from "./src/pool/worker_server.ts";
export { type ByteSink, SocketWriter } from "./src/io/writer.ts";
export {
  BaseServer,
  type ServeForeverOptions,
} from "./src/server/base_server.ts";
export { DatagramServer } from "./src/server/datagram_server.ts";
export {
  type BoundSocket,
  SocketServer,
  type SocketServerOptions,
} from "./src/server/socket_server.ts";
export {
  StreamServer,
  type StreamServerOptions,
} from "./src/server/stream_server.ts";
export { TCPServer, type TCPServerOptions } from "./src/server/tcp_server.ts";
export { UDPServer } from "./src/server/udp_server.ts";
export { UnixDatagramServer } from "./src/server/unix_datagram_server.ts";
export {
  type UnixServerOptions,
  UnixStreamServer,
} from "./src/server/unix_stream_server.ts";
export type { Driver, DriverFeature } from "./src/driver.ts";
export type {
  ChildExit,
  ChildProcessHandle,
  Host,
  HostFeature,
  ShutdownSignal,
  WorkerEvents,
  WorkerLink,
} from "./src/host.ts";
export type {
  Datagram,
  DatagramEndpoint,
  NetAddress,
  SocketAddress,
  SocketFeature,
  Sockets,
  StreamConn,
  StreamListener,
  TcpListenOptions,
  TlsOptions,
  UdpBindOptions,
  UnixAddress,
  UnixDatagramBindOptions,
  UnixListenOptions,
} from "./src/transport.ts";
