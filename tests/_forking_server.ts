// A forking server for tests/worker_handoff_test.ts, run as its own process
// so the test can kill it: it prints its port and its children's pids.

import { ForkingTCPServer, formatAddress } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";

const server = new ForkingTCPServer(
  { hostname: "127.0.0.1", port: 0 },
  Commands,
);
server.maxChildren = 2;
await server.ready();
console.log(`children ${[...server.activeChildren].join(" ")}`);
console.log(`listening on ${formatAddress(server.serverAddress)}`);
await server.serveForever();
