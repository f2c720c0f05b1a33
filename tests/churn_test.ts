// 10,000 connections that end badly or oddly against an event-loop
// server: a third are answered normally, a third reset mid-request, a third
// half-close and wait for the answer (which arrives). Then clients that
// vanish without FIN are cut by idleTimeout. No handler hangs, and the
// descriptors this process holds (/proc/self/fd) come back to where they
// were.

import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "./_testing.ts";
import { EventLoopTCPServer, StreamRequestHandler } from "../mod.ts";
import {
  collectingErrors,
  DRIVERS,
  exchange,
  fdCount,
  halfCloseSkip,
  LOCAL,
  RUNTIME,
  sleep,
} from "./_helpers.ts";

const CONNECTIONS = 10_000;
const AT_ONCE = 250;

/** Reads a line and answers it; a cut-off client gets nothing. */
class Answer extends StreamRequestHandler {
  override async handle() {
    const line = new TextDecoder().decode(await this.rfile.readline());
    if (line.endsWith("\n")) await this.wfile.write(`got ${line}`);
  }
}

type Kind = "normal" | "reset" | "half-close";

/** One client of a kind; resolves with what it got back. */
function client(port: number, kind: Kind, i: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const socket = net.connect({
      port,
      host: "127.0.0.1",
      allowHalfOpen: true,
    });
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => reply += text);
    socket.on("connect", () => {
      if (kind === "reset") {
        socket.write(`partial ${i}`, () => {
          socket.resetAndDestroy();
          resolve("reset");
        });
      } else if (kind === "half-close") {
        socket.end(`line ${i}\n`); // FIN right after the request
      } else socket.write(`line ${i}\n`);
    });
    socket.on("end", () => {
      socket.destroy();
      resolve(reply);
    });
    socket.on("error", (error) => kind === "reset" ? undefined : reject(error));
  });
}

/** Waits until `check()` holds, for at most `ms`. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

for (const driver of DRIVERS) {
  const skipHalfClose = halfCloseSkip(driver).skip !== undefined;
  describe(`${CONNECTIONS} connections: normal, reset, half-closed [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "answers every answerable one and leaks no descriptor",
      { timeout: 120_000 },
      async () => {
        const errors: unknown[] = [];
        const Server = collectingErrors(EventLoopTCPServer, errors);
        await using server = new Server(LOCAL, Answer, {
          driver,
          bindAndActivate: false,
        });
        server.requestQueueSize = AT_ONCE * 2;
        await server.serverBind();
        await server.serverActivate();
        const serving = server.serveForever();
        const port = server.serverAddress.port;
        const before = fdCount();
        // Deno's node:net loses replies after a FIN (see halfCloseSkip):
        // there the half-closing third answers normally instead.
        const kinds: Kind[] = skipHalfClose
          ? ["normal", "reset", "normal"]
          : ["normal", "reset", "half-close"];
        const counts = { answered: 0, reset: 0 };
        for (let start = 0; start < CONNECTIONS; start += AT_ONCE) {
          const batch = Array.from({ length: AT_ONCE }, (_, n) => {
            const i = start + n;
            const kind = kinds[i % 3];
            return client(port, kind, i).then((reply) => {
              if (kind === "reset") return counts.reset++;
              assert.equal(reply, `got line ${i}\n`, `${kind} client ${i}`);
              counts.answered++;
            });
          });
          await Promise.all(batch);
        }
        assert.equal(counts.answered + counts.reset, CONNECTIONS);
        assert.ok(
          await eventually(() => server.activeConnections === 0, 10_000),
          `${server.activeConnections} handlers still running`,
        );
        // Resets may fail a write or a read; nothing else may fail.
        for (const error of errors) {
          assert.match(String((error as { code?: string }).code), /^E/);
        }
        assert.ok(
          await eventually(() => fdCount() <= before + 2, 10_000),
          `descriptors: ${before} before, ${fdCount()} after`,
        );
        console.log(
          `${driver.name}: ${counts.answered} answered, ${counts.reset} reset, descriptors ${before} before and ${fdCount()} after`,
        );
        await server.shutdown();
        await serving;
      },
    );

    it("cuts clients that vanish without FIN after idleTimeout", {
      timeout: 30_000,
    }, async () => {
      await using server = new EventLoopTCPServer(LOCAL, Answer, { driver });
      server.idleTimeout = 200;
      await server.ready();
      const serving = server.serveForever();
      const port = server.serverAddress.port;
      const before = fdCount();
      // A client whose machine vanished sends neither FIN nor RST: here its
      // socket is kept open and silent, which the server cannot tell apart.
      const ghosts = await Promise.all(
        Array.from({ length: 50 }, () =>
          new Promise<net.Socket>((resolve) => {
            const socket = net.connect(port, "127.0.0.1", () => {
              socket.write("half a li");
              resolve(socket);
            });
          })),
      );
      try {
        assert.ok(
          await eventually(() => server.activeConnections === 50, 5000),
        );
        assert.ok(
          await eventually(() => server.activeConnections === 0, 5000),
          `${server.activeConnections} handlers still waiting`,
        );
        assert.equal(await exchange(port, "still here\n"), "got still here\n");
      } finally {
        for (const ghost of ghosts) ghost.destroy();
      }
      assert.ok(
        await eventually(() => fdCount() <= before + 2, 5000),
        `descriptors: ${before} before, ${fdCount()} after`,
      );
      await server.shutdown();
      await serving;
    });
  });
}
