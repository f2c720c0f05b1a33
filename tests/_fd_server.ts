// A line echo server for tests/fd_exhaustion_test.ts, which lowers this
// process's descriptor limit from outside (prlimit) and floods it.
// Argument: the driver ("deno", "bun" or "node").

import { driver as bunDriver } from "../adapters/bun.ts";
import { driver as denoDriver } from "../adapters/deno.ts";
import { driver as nodeDriver } from "../adapters/node.ts";
import { closeOnSignals, EventLoopTCPServer } from "../mod.ts";
import { LineEcho } from "./_helpers.ts";
import process from "node:process";

const drivers = { bun: bunDriver, deno: denoDriver, node: nodeDriver };
const driver = drivers[process.argv[2] as keyof typeof drivers];

class Echo extends LineEcho {
  override async handle(): Promise<void> {
    // Holds its connection until the client sends a line.
    await super.handle();
  }
}

const server = new EventLoopTCPServer(
  { hostname: "127.0.0.1", port: 0 },
  Echo,
  { driver },
);
server.maxConnections = 5000;
server.idleTimeout = null;
// Errors are expected here (EMFILE); one line each would flood the test.
server.handleError = () => {};
await server.ready();
closeOnSignals(server);
console.log(`listening on 127.0.0.1:${server.serverAddress.port}`);
await server.serveForever();
await server.serverClose();
