/**
 * The time-stamp server from the seed texts: for each connection it prints
 * who connected and answers the client's line with the time in front,
 * `[Mon Nov 23 10:00:00 2026] hello`. Talk to it with
 * `examples/timestamp_client.ts`.
 *
 *   deno run -A examples/timestamp_server.ts [port]
 *   bun examples/timestamp_server.ts [port]
 *   node examples/timestamp_server.ts [port]
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
import { ctime } from "./timestamp.ts";

class TimestampHandler extends StreamRequestHandler {
  override async handle() {
    console.log(`connected from ${formatAddress(this.clientAddress)}`);
    const line = new TextDecoder().decode(await this.rfile.readline());
    await this.wfile.write(`[${ctime()}] ${line}`);
  }
}

const port = Number(process.argv[2] ?? 21567);
const server = new TCPServer({ hostname: "0.0.0.0", port }, TimestampHandler);
await server.ready();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
