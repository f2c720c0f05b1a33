// A hostile local user against a forking server's links to its children:
// watching /proc for them and connecting to every new loopback listener,
// at start-up and when a killed child is replaced. It must get nothing:
// no token on any command line, no byte from any link; clients are served.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import process from "node:process";
import { ForkingTCPServer } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import { DRIVERS, exchange, LOCAL, RUNTIME, sleep, until } from "./_helpers.ts";
import { lines, startUnprivileged, unprivilegedSkip } from "./_unprivileged.ts";

// Every driver: the node driver on Deno and Bun forks that runtime's
// children, over links it listens for with node:net.
for (const driver of DRIVERS) {
  describe(`ForkingTCPServer's worker links [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "give an unprivileged local user watching the children nothing",
      { timeout: 60_000, ...unprivilegedSkip() },
      async () => {
        const server = new ForkingTCPServer(LOCAL, Commands, {
          driver,
          bindAndActivate: false,
        });
        server.maxChildren = 2;
        server.workerData = { secret: "workerData" };
        await server.serverBind();
        const port = server.serverAddress.port;
        const { child: attacker, cleanup } = startUnprivileged(
          "_link_attacker.mjs",
          [String(port)],
        );
        // What the attacker says, in order: "watching", "child PID" for each
        // child it finds, then its report as JSON.
        const said: string[] = [];
        const next = lines(attacker);
        const listening = (async () => {
          for (let line; (line = await next()) !== "";) said.push(line);
        })();
        const children = () =>
          said.filter((l) => l.startsWith("child ")).length;
        try {
          assert.ok(await until(() => said.includes("watching"), 10_000));
          await server.serverActivate();
          const serving = server.serveForever({ pollInterval: 10 });
          assert.equal(await exchange(port, "ping\n"), "echo ping\n");
          // Each replacement child links up the same way: attacked again.
          // Kill children until the attacker has reached a link's listener
          // (it lives only while a child starts) and seen a replacement.
          const deadline = Date.now() + 30_000;
          const attacked = () => said.some((l) => l.startsWith("attacked "));
          for (let round = 0; round < 10; round++) {
            if (round > 0 && attacked() && children() >= 3) break;
            const [first] = [...server.activeChildren];
            process.kill(first, "SIGKILL");
            while (
              (server.activeChildren.size < 2 ||
                server.activeChildren.has(first)) &&
              Date.now() < deadline
            ) await sleep(20);
            assert.equal(
              server.activeChildren.size,
              2,
              "the child was replaced",
            );
            assert.equal(
              await exchange(port, `p${round}\n`),
              `echo p${round}\n`,
            );
            await until(() => attacked() && children() >= 3, 500);
          }
          await server.shutdown();
          await serving;
        } finally {
          await server.serverClose();
          attacker.stdin!.end();
        }
        await listening;
        const report = JSON.parse(said.at(-1)!) as {
          children: number;
          commandLines: string[][];
          connections: number;
          bytes: number;
        };
        cleanup();
        assert.ok(report.children >= 3, `saw ${report.children} children`);
        assert.deepEqual(
          report.commandLines.filter((args) => args.length > 0),
          [],
          "nothing after the entry module on a child's command line",
        );
        assert.ok(report.connections >= 1, "it reached a link's listener");
        assert.equal(report.bytes, 0, "no byte from any link");
      },
    );
  });
}
