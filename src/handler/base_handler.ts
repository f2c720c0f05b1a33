/**
 * `BaseRequestHandler`: one object per request, with Python's
 * `setup` / `handle` / `finish` life cycle.
 *
 * @module
 */

import type { StreamSocket } from "../io/stream_socket.ts";
import type { BaseServer } from "../server/base_server.ts";
import type { NetAddress } from "../transport.ts";

/**
 * The base of every request handler. The server makes one per request with
 * `new RequestHandlerClass(request, clientAddress, server)`, then calls
 * `setup()`, `handle()` and `finish()`; each may be async. `finish()` runs
 * even when `handle()` throws; when `setup()` throws, neither runs.
 *
 * For stream servers `request` is a {@linkcode StreamSocket} and
 * `clientAddress` is `{ hostname, port }`.
 *
 * @typeParam Req The request: a `StreamSocket` for stream servers.
 * @typeParam Addr The client address type.
 * @typeParam Srv The server type.
 *
 * @example Echo, as Python's documentation writes it
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { BaseRequestHandler, TCPServer } from "../../mod.ts";
 *
 * class Echo extends BaseRequestHandler {
 *   override async handle() {
 *     const data = await this.request.recv(1024);
 *     await this.request.sendall(data);
 *   }
 * }
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, Echo);
 * await server.ready();
 * const serving = server.serveForever();
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(server.serverAddress.port, "127.0.0.1", () => client.write("hi"));
 *   client.on("data", (data) => { resolve(String(data)); client.end(); });
 * });
 * assert.equal(reply, "hi");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class BaseRequestHandler<
  Req = StreamSocket,
  Addr = NetAddress,
  Srv = BaseServer<Req, Addr>,
> {
  /** The request: for stream servers, the connected socket. */
  readonly request: Req;
  /** The client's address. */
  readonly clientAddress: Addr;
  /** The server that received the request. */
  readonly server: Srv;

  /**
   * Stores the request; the server then calls the life-cycle methods.
   *
   * @param request The request.
   * @param clientAddress The client's address.
   * @param server The server.
   */
  constructor(request: Req, clientAddress: Addr, server: Srv) {
    this.request = request;
    this.clientAddress = clientAddress;
    this.server = server;
  }

  /** Runs before `handle()`; does nothing by default. */
  setup(): void | Promise<void> {}

  /** Serves the request; does nothing by default. */
  handle(): void | Promise<void> {}

  /** Runs after `handle()`, even if it threw; does nothing by default. */
  finish(): void | Promise<void> {}
}

/**
 * What a server accepts as its `RequestHandlerClass`: a subclass of
 * {@linkcode BaseRequestHandler}, or any function called as
 * `fn(request, clientAddress, server)` (Python accepts any callable).
 */
export type RequestHandlerClass<Req, Addr, Srv> =
  | (new (
    request: Req,
    clientAddress: Addr,
    server: Srv,
  ) => BaseRequestHandler<Req, Addr, Srv>)
  | ((request: Req, clientAddress: Addr, server: Srv) => unknown);
