// EventLoopMixIn: handlers run concurrently on the event loop, bounded by
// maxConnections; blockOnClose; errors in background handlers. The
// checklist's threading cases (90-95) as they apply to event-loop tasks.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  DatagramRequestHandler,
  EventLoopMixIn,
  EventLoopTCPServer,
  EventLoopUDPServer,
  StreamRequestHandler,
  TCPServer,
} from "../mod.ts";
import {
  Client,
  collectingErrors,
  DRIVERS,
  exchange,
  LIMIT,
  LineEcho,
  LOCAL,
  RUNTIME,
  settlesWithin,
  sleep,
  UdpClient,
} from "./_helpers.ts";

/** Echoes a line after waiting 300 ms (I/O, not CPU: the loop stays free). */
class SlowEcho extends StreamRequestHandler {
  override async handle(): Promise<void> {
    const line = await this.rfile.readline();
    await sleep(300);
    await this.wfile.write(line);
  }
}

/** A gate the test opens; handlers wait on it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => open = resolve);
  return { wait, open };
}

/** Echoes a line; a line "hold" first waits for the gate to open. */
function heldOn(release: { wait: Promise<void> }) {
  return class Held extends StreamRequestHandler {
    override async handle(): Promise<void> {
      const line = await this.rfile.readline();
      if (new TextDecoder().decode(line) === "hold\n") await release.wait;
      await this.wfile.write(line);
    }
  };
}

for (const driver of DRIVERS) {
  describe(`EventLoopMixIn [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "answers a second client while the first handler waits",
      LIMIT,
      async () => {
        const release = gate();
        await using server = new EventLoopTCPServer(LOCAL, heldOn(release), {
          driver,
        });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const first = await Client.connect(server.serverAddress.port);
        await first.write("hold\n");
        // Answered while the first handler still waits on the gate.
        assert.equal(await exchange(server.serverAddress.port, "b\n"), "b\n");
        assert.equal(first.received, "");
        release.open();
        assert.equal(await first.readAll(), "hold\n");
        first.close();
        await server.shutdown();
        await serving;
      },
    );

    it(
      "serves one at a time without the mix-in (the control)",
      LIMIT,
      async () => {
        const release = gate();
        await using server = new TCPServer(LOCAL, heldOn(release), { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const first = await Client.connect(server.serverAddress.port);
        await first.write("hold\n");
        const second = exchange(server.serverAddress.port, "b\n");
        assert.equal(await settlesWithin(second, 500), false);
        release.open();
        assert.equal(await first.readAll(), "hold\n");
        assert.equal(await second, "b\n");
        first.close();
        await server.shutdown();
        await serving;
      },
    );

    it(
      "runs at most maxConnections handlers; the rest wait their turn",
      LIMIT,
      async () => {
        const release = gate();
        let running = 0;
        let peak = 0;
        class Held extends StreamRequestHandler {
          override async handle() {
            running++;
            peak = Math.max(peak, running);
            await release.wait;
            await this.wfile.write(await this.rfile.readline());
            running--;
          }
        }
        class Server extends EventLoopMixIn(TCPServer) {
          override maxConnections = 2;
        }
        await using server = new Server(LOCAL, Held, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const replies = ["1\n", "2\n", "3\n", "4\n"].map((line) =>
          exchange(server.serverAddress.port, line)
        );
        for (let i = 0; i < 100 && server.activeConnections < 2; i++) {
          await sleep(10);
        }
        await sleep(100); // time for a third to start, if the bound leaked
        assert.equal(server.activeConnections, 2);
        assert.equal(running, 2);
        release.open();
        assert.deepEqual(await Promise.all(replies), [
          "1\n",
          "2\n",
          "3\n",
          "4\n",
        ]);
        assert.equal(peak, 2);
        await server.shutdown();
        await serving;
      },
    );

    it(
      "reports a background handler's error and keeps serving",
      LIMIT,
      async () => {
        const errors: unknown[] = [];
        class Failing extends StreamRequestHandler {
          override async handle() {
            const line = await this.rfile.readline();
            if (String.fromCharCode(line[0]) === "x") {
              throw new Error("bad line");
            }
            await this.wfile.write(line);
          }
        }
        const Server = collectingErrors(EventLoopTCPServer, errors);
        await using server = new Server(LOCAL, Failing, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        assert.equal(await exchange(server.serverAddress.port, "x\n"), "");
        assert.equal(await exchange(server.serverAddress.port, "ok\n"), "ok\n");
        assert.equal((errors[0] as Error).message, "bad line");
        await server.shutdown();
        await serving;
      },
    );

    it(
      "serverClose waits for running handlers (blockOnClose)",
      LIMIT,
      async () => {
        const server = new EventLoopTCPServer(LOCAL, SlowEcho, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await Client.connect(server.serverAddress.port);
        await client.write("held\n");
        for (let i = 0; i < 100 && server.activeConnections === 0; i++) {
          await sleep(5);
        }
        await server.shutdown();
        await serving;
        await server.serverClose();
        // The handler had finished: the whole reply is already there.
        assert.equal(server.activeConnections, 0);
        assert.equal(await client.readAll(), "held\n");
        client.close();
      },
    );

    it(
      "with blockOnClose false, serverClose returns at once and the handler still replies",
      LIMIT,
      async () => {
        const server = new EventLoopTCPServer(LOCAL, SlowEcho, { driver });
        server.blockOnClose = false;
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await Client.connect(server.serverAddress.port);
        await client.write("late\n");
        for (let i = 0; i < 100 && server.activeConnections === 0; i++) {
          await sleep(5);
        }
        await server.shutdown();
        await serving;
        await server.serverClose();
        assert.equal(server.activeConnections, 1);
        assert.equal(await client.readAll(), "late\n");
        client.close();
      },
    );

    it("closes at once when it never served", LIMIT, async () => {
      const server = new EventLoopTCPServer(LOCAL, LineEcho, { driver });
      await server.ready();
      assert.ok(await settlesWithin(server.serverClose(), 1000));
    });

    it(
      "answers datagrams while an earlier one's handler waits",
      LIMIT,
      async () => {
        const release = gate();
        class Held extends DatagramRequestHandler {
          override async handle() {
            if (new TextDecoder().decode(this.packet) === "d0") {
              await release.wait;
            }
            await this.wfile.write(this.packet);
          }
        }
        await using server = new EventLoopUDPServer(LOCAL, Held, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const clients = await Promise.all(
          [0, 1, 2].map(() => UdpClient.open()),
        );
        try {
          await Promise.all(
            clients.map((c, i) => c.send(`d${i}`, server.serverAddress.port)),
          );
          // d1 and d2 are answered while d0's handler still waits.
          assert.equal(await clients[1].receiveText(), "d1");
          assert.equal(await clients[2].receiveText(), "d2");
          release.open();
          assert.equal(await clients[0].receiveText(), "d0");
        } finally {
          for (const c of clients) c.close();
          await server.shutdown();
          await serving;
        }
      },
    );

    it(
      "reports a bad maxConnections through handleError and closes the client",
      LIMIT,
      async () => {
        const errors: unknown[] = [];
        class Server extends EventLoopTCPServer {
          override maxConnections = 0;
          override handleError(_r: unknown, _a: unknown, error: unknown) {
            errors.push(error);
          }
        }
        await using server = new Server(LOCAL, LineEcho, { driver });
        await server.ready();
        const client = await Client.connect(server.serverAddress.port);
        await server.handleRequest();
        assert.ok(errors[0] instanceof RangeError);
        assert.ok(await client.closedWithin(2000));
        client.close();
      },
    );
  });
}
