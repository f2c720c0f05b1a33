// Faulty handlers on an event-loop server: one that throws, one whose
// promise rejects, one that never settles (cut by handlerTimeout). Each is
// reported through handleError with its own error, its client's connection
// is closed, and the server serves the next client. (A worker that crashes
// or hangs is covered in worker_pool_test.ts.)

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  EventLoopTCPServer,
  StreamRequestHandler,
  TimeoutError,
} from "../mod.ts";
import {
  Client,
  collectingErrors,
  DRIVERS,
  exchange,
  LIMIT,
  LOCAL,
  RUNTIME,
} from "./_helpers.ts";

/** Fails in the way its request line names, or echoes it. */
class Faulty extends StreamRequestHandler {
  #line = "";

  override async setup() {
    await super.setup();
    this.#line = new TextDecoder().decode(await this.rfile.readline()).trim();
  }

  override handle(): Promise<void> {
    if (this.#line === "throw") throw new RangeError("thrown by the handler");
    if (this.#line === "reject") {
      return Promise.reject(new TypeError("rejected by the handler"));
    }
    if (this.#line === "hang") return new Promise<void>(() => {}); // never settles
    return this.wfile.write(`ok ${this.#line}\n`).then(() => {});
  }
}

for (const driver of DRIVERS) {
  describe(
    `faulty handlers [${driver.name} driver on ${RUNTIME}]`,
    LIMIT,
    () => {
      it("reports each fault, closes its connection, and serves on", async () => {
        const reported: unknown[] = [];
        const Server = collectingErrors(EventLoopTCPServer, reported);
        await using server = new Server(LOCAL, Faulty, { driver });
        server.handlerTimeout = 200;
        await server.ready();
        const serving = server.serveForever();
        const port = server.serverAddress.port;
        try {
          for (const fault of ["throw", "reject", "hang"]) {
            const client = await Client.connect(port);
            try {
              await client.write(`${fault}\n`);
              assert.equal(await client.closedWithin(5000), true, fault);
            } finally {
              client.close();
            }
            assert.equal(await exchange(port, "next\n"), "ok next\n");
          }
          assert.equal(reported.length, 3);
          const [thrown, rejected, hung] = reported as Error[];
          assert.ok(thrown instanceof RangeError);
          assert.ok(rejected instanceof TypeError);
          assert.ok(hung instanceof TimeoutError);
          assert.equal((hung as TimeoutError).code, "ETIMEDOUT");
          assert.match(hung.message, /handlerTimeout \(200 ms\)/);
          assert.equal(server.activeConnections, 0);
        } finally {
          await server.shutdown();
          await serving;
        }
      });

      it("rejects a bad handlerTimeout through handleError, and serves on", async () => {
        const reported: unknown[] = [];
        const Server = collectingErrors(EventLoopTCPServer, reported);
        await using server = new Server(LOCAL, Faulty, { driver });
        // @ts-expect-error: wrong on purpose
        server.handlerTimeout = "200";
        await server.ready();
        const serving = server.serveForever();
        try {
          const port = server.serverAddress.port;
          assert.equal(await exchange(port, "x\n"), "");
          assert.match(String(reported[0]), /handlerTimeout/);
          server.handlerTimeout = null;
          assert.equal(await exchange(port, "y\n"), "ok y\n");
        } finally {
          await server.shutdown();
          await serving;
        }
      });
    },
  );
}
