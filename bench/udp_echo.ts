/**
 * The benchmark's UDP echo server: a `DatagramRequestHandler` that writes
 * the packet back, the path a user's handler takes, on a server of the
 * given kind: `udpserver` (the default), `threading` or `forking` (2
 * workers, each datagram relayed), `listening` or `forklistening` (the
 * workers bind the port themselves). `WORKERS` in the environment sets the
 * workers; `LISTEN_IN_THREADS=1` and `LISTEN_IN_CHILDREN=1` make
 * `threading` and `forking` bind in their workers too. Prints `listening`
 * once bound.
 *
 *   deno run -A bench/udp_echo.ts PORT [KIND] | bun bench/udp_echo.ts PORT [KIND] | node bench/udp_echo.ts PORT [KIND]
 *
 * @module
 */

import process from "node:process";
import { ForkingUDPServer, ThreadingUDPServer, UDPServer } from "../mod.ts";
import { DatagramEcho } from "./echo_handler.ts";

const KINDS = {
  udpserver: UDPServer,
  threading: ThreadingUDPServer,
  listening: ThreadingUDPServer,
  forking: ForkingUDPServer,
  forklistening: ForkingUDPServer,
} as const;

const [port, kind = "udpserver"] = process.argv.slice(2);
if (!(kind in KINDS)) throw new Error(`unknown server kind ${kind}`);
const server = new KINDS[kind as keyof typeof KINDS](
  { hostname: "127.0.0.1", port: Number(port) },
  DatagramEcho,
  { bindAndActivate: false },
);
const workers = Number(process.env.WORKERS ?? 2);
if (server instanceof ThreadingUDPServer) {
  server.poolSize = workers;
  server.listenInThreads = kind === "listening" ||
    process.env.LISTEN_IN_THREADS === "1";
}
if (server instanceof ForkingUDPServer) {
  server.maxChildren = workers;
  server.listenInChildren = kind === "forklistening" ||
    process.env.LISTEN_IN_CHILDREN === "1";
}
await server.serverBind();
await server.serverActivate();
console.log("listening");
await server.serveForever();
