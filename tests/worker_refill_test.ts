// A pool whose replacement workers keep dying while they start: every
// replacement of a forking server's child is killed as soon as it appears,
// for 1.5 s. The pool keeps trying (with a growing wait), reports each
// failure through handleError, holds the client that came meanwhile instead
// of failing it, and is whole again once the killing stops.

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import { ForkingTCPServer, WorkerError } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import {
  Client,
  collectingErrors,
  DRIVERS,
  exchange,
  LOCAL,
  RUNTIME,
  sleep,
} from "./_helpers.ts";

const driver = DRIVERS[0];

describe(`A pool refills itself [${driver.name} driver on ${RUNTIME}]`, () => {
  it(
    "when each replacement dies during its start, until one lives",
    { timeout: 60_000 },
    async () => {
      const errors: unknown[] = [];
      const Server = collectingErrors(ForkingTCPServer, errors);
      await using server = new Server(LOCAL, Commands, { driver });
      server.maxChildren = 1;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const port = server.serverAddress.port;
      assert.equal(await exchange(port, "one\n"), "echo one\n");

      // Kill the child, then every replacement the moment it shows up.
      const killed = new Set<number>();
      const until = Date.now() + 1500;
      let client: Client | undefined;
      while (Date.now() < until) {
        for (const pid of server.activeChildren) {
          if (!killed.has(pid)) {
            killed.add(pid);
            process.kill(pid, "SIGKILL");
          }
        }
        if (!client && killed.size >= 2) {
          client = await Client.connect(port);
          await client.write("two\n");
        }
        await sleep(2);
      }
      assert.ok(killed.size >= 3, `killed ${killed.size} children`);
      try {
        // The client that came while no worker lived is served, not failed.
        assert.equal(await client!.readAll(20_000), "echo two\n");
      } finally {
        client?.close();
      }
      assert.equal(server.activeChildren.size, 1);
      assert.equal(await exchange(port, "three\n"), "echo three\n");
      const failures = errors.filter((e) => e instanceof WorkerError);
      assert.ok(
        failures.length >= 2,
        `${failures.length} failed starts reported: ${errors.join("; ")}`,
      );
      await server.shutdown();
      await serving;
    },
  );
});
