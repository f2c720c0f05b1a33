/**
 * Line echo from the seed texts: a `StreamRequestHandler` whose `handle()`
 * writes every line of `rfile` back to `wfile` (Python's
 * `for line in self.rfile: self.wfile.write(line)`).
 *
 *   deno run -A examples/line_echo_server.ts [port]
 *   bun examples/line_echo_server.ts [port]
 *   node examples/line_echo_server.ts [port]
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
const server = new TCPServer({ hostname: "0.0.0.0", port }, EchoHandler);
await server.ready();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
