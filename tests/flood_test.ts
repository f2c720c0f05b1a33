// A burst of 5,000 connection attempts against an event-loop server with
// maxConnections 100: at most 100 handlers ever run at once, each client
// is served or cleanly refused, memory stays within its bound, and normal
// clients are served after the burst.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import { EventLoopTCPServer, StreamRequestHandler } from "../mod.ts";
import { burst, floodSkip } from "./_flood.ts";
import {
  collectingErrors,
  DRIVERS,
  exchange,
  LOCAL,
  RUNTIME,
  sleep,
} from "./_helpers.ts";

const CLIENTS = 5000;
const MAX_CONNECTIONS = 100;
/** What the burst may add to this process, its 5,000 clients included. */
const MEMORY_BOUND = 256 << 20;

let running = 0;
let mostRunning = 0;

/** Answers one line with "echo <line>", counting handlers running at once. */
class Echo extends StreamRequestHandler {
  override async handle() {
    mostRunning = Math.max(mostRunning, ++running);
    try {
      const line = new TextDecoder().decode(await this.rfile.readline());
      await sleep(20); // long enough for the burst to fill every slot
      await this.wfile.write(`echo ${line}`);
    } finally {
      running--;
    }
  }
}

for (const driver of DRIVERS) {
  describe(`${CLIENTS} connections at once, maxConnections ${MAX_CONNECTIONS} [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "serves or cleanly refuses each, runs at most 100 handlers at once, and serves on",
      { timeout: 120_000, skip: floodSkip(CLIENTS) },
      async () => {
        running = mostRunning = 0;
        const errors: unknown[] = [];
        const Server = collectingErrors(EventLoopTCPServer, errors);
        await using server = new Server(LOCAL, Echo, {
          driver,
          bindAndActivate: false,
        });
        server.maxConnections = MAX_CONNECTIONS;
        // Linux drops SYNs past the backlog and clients retry for minutes:
        // room for the burst keeps the test about maxConnections.
        server.requestQueueSize = CLIENTS;
        await server.serverBind();
        await server.serverActivate();
        const serving = server.serveForever();
        const port = server.serverAddress.port;
        const { served, refused, grownMiB } = await burst(
          port,
          CLIENTS,
          MEMORY_BOUND,
        );
        // The bound is reached, never passed.
        assert.equal(mostRunning, MAX_CONNECTIONS);
        console.log(
          `${driver.name}: ${served} served, ${refused} refused, at most ${mostRunning} handlers at once, RSS +${grownMiB} MiB`,
        );
        // Clients that reset mid-request may fail a write: nothing else.
        for (const error of errors) {
          assert.match((error as { code?: string }).code ?? "", /^E/);
        }
        assert.equal(await exchange(port, "after\n"), "echo after\n");
        await server.shutdown();
        await serving;
        assert.equal(server.activeConnections, 0);
      },
    );
  });
}
