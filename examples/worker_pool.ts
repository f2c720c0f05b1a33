/**
 * The pre-sized pool from the seed texts, against connection floods: one
 * plain `TCPServer` and a fixed number of `serveForever()` loops on it (the
 * seed starts 16 threads that each call `serve_forever()`). The loops share
 * the server's requests, so at most that many are served at once however
 * many clients connect; the rest wait in the listen backlog.
 *
 * On one event loop the loops take turns while handlers wait on I/O. For
 * handlers that compute, `ThreadingTCPServer` with `poolSize` bounds real
 * threads the same way.
 *
 *   deno run -A examples/worker_pool.ts [port] [loops]
 *   bun examples/worker_pool.ts [port] [loops]
 *   node examples/worker_pool.ts [port] [loops]
 *
 * @module
 */

import process from "node:process";
import {
  BaseRequestHandler,
  closeOnSignals,
  formatAddress,
  TCPServer,
} from "../mod.ts";

class EchoHandler extends BaseRequestHandler {
  override async handle() {
    for (;;) {
      const msg = await this.request.recv(8192);
      if (msg.length === 0) break;
      await this.request.sendall(msg);
    }
  }
}

const port = Number(process.argv[2] ?? 20000);
const loops = Number(process.argv[3] ?? 16);
const server = new TCPServer({ hostname: "0.0.0.0", port }, EchoHandler);
await server.ready();
console.log(
  `${loops} loops, listening on ${formatAddress(server.serverAddress)}`,
);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await Promise.all(
  Array.from({ length: loops }, () => server.serveForever()),
);
