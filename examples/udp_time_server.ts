/**
 * A UDP time server: every datagram gets the time back, as one datagram,
 * with the client's text after it. `DatagramRequestHandler` collects what
 * `wfile` gets and sends it when the handler finishes.
 *
 *   deno run -A examples/udp_time_server.ts [port]
 *   bun examples/udp_time_server.ts [port]
 *   node examples/udp_time_server.ts [port]
 *
 * Then: `echo hi | nc -u -w1 localhost 21567`.
 *
 * @module
 */

import process from "node:process";
import {
  closeOnSignals,
  DatagramRequestHandler,
  formatAddress,
  UDPServer,
} from "../mod.ts";
import { ctime } from "./timestamp.ts";

class TimeHandler extends DatagramRequestHandler {
  override handle() {
    const text = new TextDecoder().decode(this.packet).trim();
    console.log(`${text} from ${formatAddress(this.clientAddress)}`);
    this.wfile.write(`[${ctime()}] ${text}`);
  }
}

const port = Number(process.argv[2] ?? 21567);
const server = new UDPServer({ hostname: "0.0.0.0", port }, TimeHandler);
await server.ready();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
