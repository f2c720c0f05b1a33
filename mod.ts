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

import { loadRuntimeDriver } from "./adapters/detect.ts";
import { setDefaultDriverLoader } from "./src/driver.ts";

setDefaultDriverLoader(loadRuntimeDriver);

export { formatAddress } from "./src/address.ts";
export {
  ErrorCode,
  LineTooLongError,
  NotSupportedError,
  ServerClosedError,
  SocketError,
  TimeoutError,
} from "./src/errors.ts";
export {
  BaseRequestHandler,
  type RequestHandlerClass,
} from "./src/handler/base_handler.ts";
export { StreamRequestHandler } from "./src/handler/stream_handler.ts";
export {
  DEFAULT_LINE_LIMIT,
  type ReadlineOptions,
  SocketReader,
} from "./src/io/reader.ts";
export { StreamSocket } from "./src/io/stream_socket.ts";
export { SocketWriter } from "./src/io/writer.ts";
export {
  BaseServer,
  type ServeForeverOptions,
} from "./src/server/base_server.ts";
export { TCPServer, type TCPServerOptions } from "./src/server/tcp_server.ts";
export type {
  Driver,
  NetAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
} from "./src/transport.ts";
