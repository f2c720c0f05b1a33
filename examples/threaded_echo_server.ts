/**
 * The threaded echo from the seed texts: the same echo handler on
 * `ThreadingTCPServer`, or with `--fork` on `ForkingTCPServer`. Each serves
 * many clients at once with a pool of worker threads or child processes,
 * one per core.
 *
 *   deno run -A examples/threaded_echo_server.ts [port] [--fork]
 *   bun examples/threaded_echo_server.ts [port] [--fork]
 *   node examples/threaded_echo_server.ts [port] [--fork]
 *
 * @module
 */

import process from "node:process";
import {
  closeOnSignals,
  ForkingTCPServer,
  formatAddress,
  ThreadingTCPServer,
} from "../mod.ts";
import { EchoHandler } from "./handlers.ts";

const args = process.argv.slice(2);
const port = Number(args.find((arg) => !arg.startsWith("--")) ?? 20000);
const Server = args.includes("--fork") ? ForkingTCPServer : ThreadingTCPServer;
const server = new Server({ hostname: "0.0.0.0", port }, EchoHandler);
await server.ready();
console.log(
  `${Server.name} listening on ${formatAddress(server.serverAddress)}`,
);
// Ctrl-C or kill: take no new client, let running handlers finish, close.
closeOnSignals(server);
await server.serveForever();
