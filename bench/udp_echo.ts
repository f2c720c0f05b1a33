/**
 * The benchmark's UDP echo server: `UDPServer` with a
 * `DatagramRequestHandler` that writes the packet back, the path a user's
 * handler takes. Prints `listening` once bound.
 *
 *   deno run -A bench/udp_echo.ts PORT | bun bench/udp_echo.ts PORT | node bench/udp_echo.ts PORT
 *
 * @module
 */

import process from "node:process";
import { DatagramRequestHandler, UDPServer } from "../mod.ts";

class Echo extends DatagramRequestHandler {
  override async handle() {
    await this.wfile.write(this.packet);
  }
}

const server = new UDPServer(
  { hostname: "127.0.0.1", port: Number(process.argv[2]) },
  Echo,
);
await server.ready();
console.log("listening");
await server.serveForever();
