/**
 * `StreamRequestHandler` settings from the seed texts: a 5 s `timeout` on
 * each read and write, `rbufsize`, `wbufsize` and `disableNagleAlgorithm`.
 * A client that sends nothing for 5 s gets "Timed out!" printed for it.
 *
 *   deno run -A examples/handler_settings.ts [port] [timeout ms]
 *   bun examples/handler_settings.ts [port] [timeout ms]
 *   node examples/handler_settings.ts [port] [timeout ms]
 *
 * @module
 */

import process from "node:process";
import {
  closeOnSignals,
  formatAddress,
  StreamRequestHandler,
  TCPServer,
  TimeoutError,
} from "../mod.ts";

const timeout = Number(process.argv[3] ?? 5000);

class EchoHandler extends StreamRequestHandler {
  static override timeout: number | null = timeout; // Python: timeout = 5
  static override rbufsize = -1; // the default read-ahead
  static override wbufsize = 0; // each write goes out at once
  static override disableNagleAlgorithm = false;

  override async handle() {
    try {
      for await (const line of this.rfile) await this.wfile.write(line);
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      console.log("Timed out!");
    }
  }
}

const port = Number(process.argv[2] ?? 20000);
const server = new TCPServer({ hostname: "0.0.0.0", port }, EchoHandler);
await server.ready();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
