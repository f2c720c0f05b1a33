// Slow and silent clients: idleTimeout closes connections that send
// nothing for too long, so a slowloris crowd cannot hold a server while
// normal clients are served.

import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "./_testing.ts";
import { EventLoopTCPServer, StreamRequestHandler, TCPServer } from "../mod.ts";
import {
  Client,
  collectingErrors,
  DRIVERS,
  exchange,
  LOCAL,
  RUNTIME,
  sleep,
} from "./_helpers.ts";

const SLOW_CLIENTS = 500;

/** Answers one whole line; a client cut off mid-line gets nothing. */
class LineAnswer extends StreamRequestHandler {
  override async handle() {
    const line = new TextDecoder().decode(await this.rfile.readline());
    if (line.endsWith("\n")) await this.wfile.write(`got ${line}`);
  }
}

/** Opens a connection and resolves once it is connected. */
function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.on("error", reject);
  });
}

for (const driver of DRIVERS) {
  describe(`idleTimeout [${driver.name} driver on ${RUNTIME}]`, {
    timeout: 60_000,
  }, () => {
    it(`cuts off ${SLOW_CLIENTS} clients sending a byte a second, and serves a normal one meanwhile`, async () => {
      const errors: unknown[] = [];
      const Server = collectingErrors(EventLoopTCPServer, errors);
      await using server = new Server(LOCAL, LineAnswer, {
        driver,
        bindAndActivate: false,
      });
      server.idleTimeout = 500;
      server.requestQueueSize = SLOW_CLIENTS + 100;
      await server.serverBind();
      await server.serverActivate();
      const serving = server.serveForever();
      const { port } = server.serverAddress;
      const slow = await Promise.all(
        Array.from({ length: SLOW_CLIENTS }, () => open(port)),
      );
      const closed = slow.map((socket) =>
        new Promise<void>((resolve) => {
          socket.on("error", () => {}); // a reset counts as cut off too
          socket.on("close", () => resolve());
        })
      );
      // One byte a second from each, as slowloris sends: never a whole line.
      let drips = 0;
      const drip = setInterval(() => {
        drips++;
        for (const socket of slow) if (!socket.destroyed) socket.write("x");
      }, 1000);
      try {
        for (const socket of slow) socket.write("x");
        // A normal client is answered while the crowd is connected.
        assert.equal(await exchange(port, "hello\n"), "got hello\n");
        await Promise.all(closed);
        // Each was cut after its first silence of 0.5 s, long before a
        // tenth byte.
        assert.ok(drips < 10, `the crowd lasted ${drips} s`);
        while (server.activeConnections > 0) await sleep(10);
        assert.deepEqual(errors, []);
        assert.equal(await exchange(port, "again\n"), "got again\n");
      } finally {
        clearInterval(drip);
        for (const socket of slow) socket.destroy();
        await server.shutdown();
        await serving;
      }
    });

    it("closes a client that stops reading, failing its stuck write", async () => {
      const errors: unknown[] = [];
      class Flood extends StreamRequestHandler {
        override async handle() {
          const chunk = new Uint8Array(1 << 20);
          for (;;) await this.wfile.write(chunk); // until the write is stuck
        }
      }
      const Server = collectingErrors(TCPServer, errors);
      await using server = new Server(LOCAL, Flood, { driver });
      server.idleTimeout = 300;
      await server.ready();
      const handled = server.handleRequest();
      const client = await Client.connect(server.serverAddress.port);
      client.socket.pause(); // reads nothing: the server's writes back up
      try {
        await handled;
        assert.equal(errors.length, 1);
        assert.equal((errors[0] as { code?: string }).code, "EPIPE");
      } finally {
        client.close();
      }
    });

    it("leaves a quiet connection alone with idleTimeout null", async () => {
      await using server = new TCPServer(LOCAL, LineAnswer, { driver });
      server.idleTimeout = null;
      await server.ready();
      const handled = server.handleRequest();
      const client = await Client.connect(server.serverAddress.port);
      try {
        await sleep(300);
        await client.write("late\n");
        assert.equal(await client.readAll(), "got late\n");
        await handled;
      } finally {
        client.close();
      }
    });

    it("rejects a bad idleTimeout", () => {
      const server = new TCPServer(LOCAL, LineAnswer, {
        driver,
        bindAndActivate: false,
      });
      for (const bad of [-1, Infinity, NaN, "500"]) {
        assert.throws(() => {
          // @ts-expect-error: a string is a type error too
          server.idleTimeout = bad;
        }, /idleTimeout/);
      }
      assert.equal(server.idleTimeout, 300_000);
      server.serverClose();
    });
  });
}
