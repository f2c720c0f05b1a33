// The node driver on Deno and Bun runs its pools on that runtime's host:
// children of the running runtime that take connections over from
// node:net listeners, and the runtime's own threads. On Node it is the
// native driver, checked the same way.

import assert from "node:assert/strict";
import process from "node:process";
import { driver } from "../adapters/node.ts";
import { ForkingTCPServer, ThreadingTCPServer } from "../mod.ts";
import { exchange, LIMIT, LOCAL, RUNTIME } from "./_helpers.ts";
import { Commands } from "./_pool_handlers.ts";
import { describe, it } from "./_testing.ts";

/** Which runtime, and which process, served a request. */
async function runtimeOf(port: number): Promise<[string, number]> {
  const [runtime, pid] = (await exchange(port, "runtime\n")).trim().split(" ");
  return [runtime, Number(pid)];
}

describe(`Pools on the node driver [${RUNTIME}]`, LIMIT, () => {
  for (const listenInChildren of [false, true]) {
    it(
      `ForkingTCPServer: children of this runtime ${
        listenInChildren
          ? "listen on the port and serve"
          : "take the connections over"
      }`,
      async () => {
        await using server = new ForkingTCPServer(LOCAL, Commands, { driver });
        server.maxChildren = 1;
        server.listenInChildren = listenInChildren;
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const port = server.serverAddress.port;
        const [runtime, pid] = await runtimeOf(port);
        assert.equal(runtime, RUNTIME);
        assert.notEqual(pid, process.pid, "served in a child");
        assert.deepEqual([...server.activeChildren], [pid]);
        assert.equal(await exchange(port, "held\n"), "own\n");
        await server.shutdown();
        await serving;
      },
    );
  }

  for (const listenInThreads of [false, true]) {
    it(
      `ThreadingTCPServer: this runtime's threads serve${
        listenInThreads ? ", listening on the port themselves" : ""
      }`,
      async () => {
        await using server = new ThreadingTCPServer(LOCAL, Commands, {
          driver,
        });
        server.poolSize = 1;
        server.listenInThreads = listenInThreads;
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const port = server.serverAddress.port;
        const [runtime, pid] = await runtimeOf(port);
        assert.equal(runtime, RUNTIME);
        assert.equal(pid, process.pid, "served in a thread");
        const handover = driver.unsupported("threadHandover") === undefined;
        assert.equal(
          await exchange(port, "held\n"),
          handover || listenInThreads ? "own\n" : "relayed\n",
        );
        await server.shutdown();
        await serving;
      },
    );
  }
});
