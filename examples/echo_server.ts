/**
 * The echo server from the seed texts: `BaseRequestHandler`, `recv(8192)`
 * until the client closes, every chunk sent back.
 *
 *   node examples/echo_server.ts [port]        (Node 22.18+ runs .ts files)
 *   deno run -A examples/echo_server.ts [port]
 *   bun examples/echo_server.ts [port]
 *
 * Then talk to it with `nc localhost 20000`.
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
    console.log(`Got connection from ${formatAddress(this.clientAddress)}`);
    for (;;) {
      const msg = await this.request.recv(8192);
      if (msg.length === 0) break;
      await this.request.send(msg);
    }
  }
}

const port = Number(process.argv[2] ?? 20000);
const server = new TCPServer({ hostname: "0.0.0.0", port }, EchoHandler);
await server.ready();
console.log(`Echo server listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
