/**
 * A line echo on a Unix stream socket: the same handler as over TCP, on
 * `UnixStreamServer`. The socket file is removed when the server closes.
 *
 *   deno run -A examples/unix_echo_server.ts [path]
 *   bun examples/unix_echo_server.ts [path]
 *   node examples/unix_echo_server.ts [path]
 *
 * Then: `nc -U /tmp/echo.sock`.
 *
 * @module
 */

import process from "node:process";
import {
  closeOnSignals,
  formatAddress,
  StreamRequestHandler,
  UnixStreamServer,
} from "../mod.ts";

class EchoHandler extends StreamRequestHandler {
  override async handle() {
    for await (const line of this.rfile) await this.wfile.write(line);
  }
}

const path = process.argv[2] ?? "/tmp/echo.sock";
const server = new UnixStreamServer({ path }, EchoHandler);
await server.ready();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
