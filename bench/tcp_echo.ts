/**
 * The benchmark's echo server: `TCPServer` with a `BaseRequestHandler` that
 * `recv`s and `sendall`s until the client closes, as the raw servers in
 * `shared/bench/servers` do with each runtime's own API.
 *
 *   deno run -A bench/tcp_echo.ts PORT [eventloop]
 *   bun bench/tcp_echo.ts PORT [eventloop]
 *   node bench/tcp_echo.ts PORT [eventloop]
 *
 * @module
 */

import process from "node:process";
import { BaseRequestHandler, EventLoopTCPServer, TCPServer } from "../mod.ts";

class Echo extends BaseRequestHandler {
  override setup() {
    this.request.setNoDelay(true); // as the raw servers do
  }

  override async handle() {
    for (;;) {
      const data = await this.request.recv(65536);
      if (data.length === 0) break;
      await this.request.sendall(data);
    }
  }
}

class Server extends TCPServer {
  override requestQueueSize = 1024;
}

/** With `eventloop` as second argument: many clients at once. */
class ConcurrentServer extends EventLoopTCPServer {
  override requestQueueSize = 1024;
}

const Chosen = process.argv[3] === "eventloop" ? ConcurrentServer : Server;
const server = new Chosen(
  { hostname: "127.0.0.1", port: Number(process.argv[2]) },
  Echo,
);
await server.ready();
await server.serveForever();
