// A pool server for tests/worker_handoff_test.ts, run as its own process
// so the test can kill it or limit its descriptors: forking, or threading
// with the argument `threads`. It prints its port and its children's pids.

import process from "node:process";
import { ForkingTCPServer, formatAddress, ThreadingTCPServer } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";

const address = { hostname: "127.0.0.1", port: 0 };
const threads = process.argv.slice(2).includes("threads");
const server = threads
  ? new ThreadingTCPServer(address, Commands)
  : new ForkingTCPServer(address, Commands);
if (server instanceof ThreadingTCPServer) server.poolSize = 2;
else server.maxChildren = 2;
await server.ready();
const children = server instanceof ForkingTCPServer
  ? [...server.activeChildren]
  : [];
console.log(`children ${children.join(" ") || "none"}`);
console.log(`listening on ${formatAddress(server.serverAddress)}`);
await server.serveForever();
