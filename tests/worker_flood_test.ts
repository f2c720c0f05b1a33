// A flood of 2,000 connections opened at once against a pool of 4 workers:
// every one is served or cleanly refused, memory stays bounded, and the
// server serves on afterwards. With threads and with child processes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import process from "node:process";
import { describe, it } from "node:test";
import { ForkingTCPServer, ThreadingTCPServer } from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import { exchange, LOCAL, RUNTIME } from "./_helpers.ts";

const CLIENTS = 2000;
/** What the flood may add to this process (clients included). */
const MEMORY_BOUND = 256 << 20;

/** The soft limit on open files: the test needs a descriptor per end. */
function fileLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n").find((l) => l.startsWith("Max open files"));
  return Number(line?.split(/\s+/)[3] ?? 0);
}
const skip = fileLimit() < 2 * CLIENTS + 500
  ? `needs ${
    2 * CLIENTS + 500
  } open files, the limit is ${fileLimit()} (ulimit -n)`
  : undefined;

type Outcome = "served" | "refused" | string;

/** One client: sends a line, expects its echo; a refusal is an outcome too. */
function attempt(port: number, i: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timed out");
    }, 30_000);
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.on("connect", () => socket.write(`f${i}\n`));
    socket.on("data", (data) => reply += data);
    socket.on(
      "end",
      () => done(reply === `echo f${i}\n` ? "served" : `wrong reply ${reply}`),
    );
    socket.on("error", (error: Error & { code?: string }) =>
      done(
        ["ECONNREFUSED", "ECONNRESET", "EPIPE"].includes(error.code ?? "")
          ? "refused"
          : `error ${error.code}`,
      ));
  });
}

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
        const before = process.memoryUsage().rss;
        const outcomes = await Promise.all(
          Array.from({ length: CLIENTS }, (_, i) => attempt(port, i)),
        );
        const grown = process.memoryUsage().rss - before;
        const count = (what: Outcome) =>
          outcomes.filter((o) => o === what).length;
        const odd = outcomes.filter((o) => o !== "served" && o !== "refused");
        assert.deepEqual(odd.slice(0, 5), [], `${odd.length} odd outcomes`);
        assert.equal(count("served") + count("refused"), CLIENTS);
        assert.ok(count("served") > 0);
        assert.ok(
          grown < MEMORY_BOUND,
          `memory grew by ${(grown / 2 ** 20).toFixed(0)} MiB`,
        );
        console.log(
          `${kind}: ${count("served")} served, ${
            count("refused")
          } refused, RSS +${(grown / 2 ** 20).toFixed(0)} MiB`,
        );
        // The server survived, with its whole pool.
        assert.equal(await exchange(port, "after\n"), "echo after\n");
        assert.equal(server.activeWorkers, 4);
        assert.equal(server.activeConnections, 0);
        await server.shutdown();
        await serving;
        await server.serverClose();
        assert.equal(server.activeWorkers, 0);
      },
    );
  });
}
