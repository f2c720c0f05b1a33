/**
 * Socket options before binding, from the seed texts: build the server with
 * `bindAndActivate: false`, set what must be set before `bind()`, then bind
 * and listen by hand. Python sets `SO_REUSEADDR` with `setsockopt` here;
 * this library sets it from `allowReuseAddress` (Python's shorter way,
 * `TCPServer.allow_reuse_address = True`), which is also its default.
 *
 *   deno run -A examples/reuse_address.ts [port]
 *   bun examples/reuse_address.ts [port]
 *   node examples/reuse_address.ts [port]
 *
 * @module
 */

import process from "node:process";
import {
  closeOnSignals,
  formatAddress,
  StreamRequestHandler,
  TCPServer,
} from "../mod.ts";

class EchoHandler extends StreamRequestHandler {
  override async handle() {
    for await (const line of this.rfile) await this.wfile.write(line);
  }
}

const port = Number(process.argv[2] ?? 20000);
const server = new TCPServer({ hostname: "0.0.0.0", port }, EchoHandler, {
  bindAndActivate: false,
});
server.allowReuseAddress = true; // restart at once, past TIME_WAIT
server.requestQueueSize = 64;
await server.serverBind();
await server.serverActivate();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
