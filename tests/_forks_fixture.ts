// Run by tests/forking_under_runner_test.ts under `node --test
// --test-name-pattern forks`: a forking server started from a filtered
// test run, whose runner flags must not reach the children.

import assert from "node:assert/strict";
import { it } from "./_testing.ts";
import { ForkingTCPServer } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import { exchange, LOCAL } from "./_helpers.ts";

it("forks and serves", { timeout: 30_000 }, async () => {
  await using server = new ForkingTCPServer(LOCAL, Commands);
  server.maxChildren = 1;
  await server.ready();
  const serving = server.serveForever({ pollInterval: 10 });
  assert.equal(
    await exchange(server.serverAddress.port, "hi\n"),
    "echo hi\n",
  );
  await server.shutdown();
  await serving;
});

it("is filtered out", () => {
  throw new Error("--test-name-pattern should have skipped this");
});
