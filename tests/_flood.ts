// A burst of clients that each send a line and expect "echo <line>": what
// the flood tests share.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import process from "node:process";

/** The soft limit on open files: the test needs a descriptor per end. */
function fileLimit(): number {
  const line = readFileSync("/proc/self/limits", "utf8")
    .split("\n").find((l) => l.startsWith("Max open files"));
  return Number(line?.split(/\s+/)[3] ?? 0);
}
/**
 * Why a flood of `clients` cannot run here (both ends of each connection
 * live in this process), or `undefined` if it can.
 */
export function floodSkip(clients: number): string | undefined {
  const needed = 2 * clients + 500;
  return fileLimit() < needed
    ? `needs ${needed} open files, the limit is ${fileLimit()} (ulimit -n)`
    : undefined;
}

/** What became of one client. */
export type Outcome = "served" | "refused" | string;

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

/**
 * Opens `clients` connections at once against `port`; fails unless each
 * was served or cleanly refused, some were served, and this process grew
 * by less than `memoryBound` bytes.
 */
export async function burst(
  port: number,
  clients: number,
  memoryBound: number,
): Promise<{ served: number; refused: number; grownMiB: number }> {
  const before = process.memoryUsage().rss;
  const outcomes = await Promise.all(
    Array.from({ length: clients }, (_, i) => attempt(port, i)),
  );
  const grown = process.memoryUsage().rss - before;
  const odd = outcomes.filter((o) => o !== "served" && o !== "refused");
  assert.deepEqual(odd.slice(0, 5), [], `${odd.length} odd outcomes`);
  const served = outcomes.filter((o) => o === "served").length;
  assert.ok(served > 0);
  const grownMiB = Math.round(grown / 2 ** 20);
  assert.ok(grown < memoryBound, `memory grew by ${grownMiB} MiB`);
  return { served, refused: clients - served, grownMiB };
}
