// A flood of 2,000 connections opened at once against a pool of 4 workers:
// every one is served or cleanly refused, memory stays bounded, and the
// server serves on afterwards. With threads and with child processes.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ForkingTCPServer, ThreadingTCPServer } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import { exchange, LOCAL, RUNTIME, until } from "./_helpers.ts";
import { burst, floodSkip } from "./_flood.ts";

const CLIENTS = 2000;
/** What the flood may add to this process (clients included). */
const MEMORY_BOUND = 256 << 20;

const skip = floodSkip(CLIENTS);

for (
  const [kind, Server] of [
    ["threads", ThreadingTCPServer],
    ["processes", ForkingTCPServer],
  ] as const
) {
  describe(`${CLIENTS} connections at once against 4 ${kind} [${RUNTIME}]`, () => {
    it(
      "serves or cleanly refuses each, stays within its memory bound, and serves on",
      { timeout: 120_000, skip },
      async () => {
        // Closed even when an assertion fails, so no worker outlives the test.
        await using server = new Server(LOCAL, Commands);
        if (server instanceof ThreadingTCPServer) server.poolSize = 4;
        else server.maxChildren = 4;
        // Past the listen backlog Linux drops SYNs, and a client retries for
        // up to two minutes: room for the whole burst keeps the test about
        // the server's bounds (maxConnections, the pool), not the kernel's.
        server.requestQueueSize = CLIENTS;
        await server.ready();
        const serving = server.serveForever({ pollInterval: 50 });
        const port = server.serverAddress.port;
        const { served, refused, grownMiB } = await burst(
          port,
          CLIENTS,
          MEMORY_BOUND,
        );
        console.log(
          `${kind}: ${served} served, ${refused} refused, RSS +${grownMiB} MiB`,
        );
        // The server survived, with its whole pool.
        assert.equal(await exchange(port, "after\n"), "echo after\n");
        assert.equal(server.activeWorkers, 4);
        // A child closes its connection, then tells the server it is done.
        assert.ok(await until(() => server.activeConnections === 0));
        await server.shutdown();
        await serving;
        await server.serverClose();
        assert.equal(server.activeWorkers, 0);
      },
    );
  });
}
