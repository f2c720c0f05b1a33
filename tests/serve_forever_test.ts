// handleRequest(), serveForever(), serviceActions() and shutdown(): the
// checklist's timeout and shutdown cases, test_socketserver's test_shutdown,
// and the DECIDE items this library fixes (see the README's deviations).

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import { BaseRequestHandler, StreamRequestHandler, TCPServer } from "../mod.ts";
import {
  Client,
  DRIVERS,
  exchange,
  halfCloseSkip,
  LIMIT,
  LineEcho,
  LOCAL,
  RUNTIME,
  settlesWithin,
  sleep,
} from "./_helpers.ts";

for (const driver of DRIVERS) {
  const options = { driver };
  describe(`serving loop [${driver.name} driver on ${RUNTIME}]`, () => {
    it("handleRequest() serves exactly one client", LIMIT, async () => {
      await using server = new TCPServer(LOCAL, LineEcho, options);
      await server.ready();
      const first = await Client.connect(server.serverAddress.port);
      const second = await Client.connect(server.serverAddress.port);
      await first.write("one\n");
      await second.write("two\n");
      assert.equal(await server.handleRequest(), undefined);
      assert.equal(await first.readAll(), "one\n");
      assert.equal(
        await second.closedWithin(200),
        false,
        "second served too early",
      );
      await server.handleRequest();
      assert.equal(await second.readAll(), "two\n");
      first.close();
      second.close();
    });

    it("handleRequest() times out through handleTimeout()", LIMIT, async () => {
      let calls = 0;
      class Timed extends TCPServer {
        override timeout = 300;
        override handleTimeout() {
          calls++;
          return "timed out";
        }
      }
      await using server = new Timed(LOCAL, LineEcho, options);
      await server.ready();
      const started = performance.now();
      assert.equal(await server.handleRequest(), "timed out");
      assert.ok(
        performance.now() - started >= 290,
        "returned before the timeout",
      );
      assert.equal(calls, 1);
    });

    it("handleRequest() with timeout 0 returns at once", LIMIT, async () => {
      await using server = new TCPServer(LOCAL, LineEcho, options);
      server.timeout = 0;
      server.handleTimeout = () => "nothing";
      await server.ready();
      assert.equal(await server.handleRequest(), "nothing");
    });

    it(
      "handleRequest() with no timeout waits for a client",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, options);
        await server.ready();
        const handled = server.handleRequest();
        assert.equal(await settlesWithin(handled, 300), false);
        assert.equal(
          await exchange(server.serverAddress.port, "late\n"),
          "late\n",
        );
        await handled;
      },
    );

    it(
      "keeps a request that arrives after a timeout for the next call",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, options);
        server.timeout = 50;
        await server.ready();
        await server.handleRequest(); // times out, its accept stays pending
        const client = await Client.connect(server.serverAddress.port);
        await client.write("kept\n");
        await sleep(50);
        server.timeout = null;
        await server.handleRequest();
        assert.equal(await client.readAll(), "kept\n");
        client.close();
      },
    );

    it("serveForever() never calls handleTimeout()", LIMIT, async () => {
      let calls = 0;
      await using server = new TCPServer(LOCAL, LineEcho, options);
      server.timeout = 10;
      server.handleTimeout = () => calls++;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      await sleep(150);
      await server.shutdown();
      await serving;
      assert.equal(calls, 0);
    });

    it("calls serviceActions() after every request", LIMIT, async () => {
      let actions = 0;
      await using server = new TCPServer(LOCAL, LineEcho, options);
      server.serviceActions = () => void actions++;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 60_000 });
      for (let i = 0; i < 3; i++) {
        await exchange(server.serverAddress.port, "x\n");
      }
      await sleep(20);
      assert.equal(actions, 3);
      await server.shutdown();
      await serving;
    });

    it("calls serviceActions() once per idle pollInterval", LIMIT, async () => {
      let actions = 0;
      await using server = new TCPServer(LOCAL, LineEcho, options);
      server.serviceActions = () => void actions++;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 50 });
      await sleep(500);
      await server.shutdown();
      await serving;
      assert.ok(actions >= 4 && actions <= 11, `${actions} calls in 500 ms`);
    });

    it(
      "shutdown() resolves after serveForever() has returned",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, options);
        await server.ready();
        let returned = false;
        const serving = server.serveForever().then(() => returned = true);
        await server.shutdown();
        assert.equal(returned, true);
        await serving;
      },
    );

    it(
      "shutdown() does not wait for pollInterval (gh-88932)",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, options);
        await server.ready();
        const serving = server.serveForever({ pollInterval: 60_000 });
        await sleep(20);
        assert.equal(await settlesWithin(server.shutdown(), 2000), true);
        await serving;
      },
    );

    it(
      "stops 20 servers shut down right after starting (test_shutdown)",
      LIMIT,
      async () => {
        for (let i = 0; i < 20; i++) {
          await using server = new TCPServer(LOCAL, LineEcho, options);
          const serving = server.serveForever({ pollInterval: 10 });
          await server.shutdown();
          await serving;
        }
      },
    );

    it(
      "a shutdown() before the first loop makes it return at once",
      LIMIT,
      async () => {
        let handled = 0;
        await using server = new TCPServer(
          LOCAL,
          () => void handled++,
          options,
        );
        await server.ready();
        const stopping = server.shutdown();
        assert.equal(await settlesWithin(stopping, 100), false);
        const client = await Client.connect(server.serverAddress.port);
        await server.serveForever();
        await stopping;
        assert.equal(handled, 0);
        client.close();
      },
    );

    it(
      "serves again after shutdown(), including a client that waited",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, options);
        await server.ready();
        let serving = server.serveForever({ pollInterval: 10 });
        await server.shutdown();
        await serving;
        const client = await Client.connect(server.serverAddress.port);
        await client.write("after restart\n");
        serving = server.serveForever({ pollInterval: 10 });
        assert.equal(await client.readAll(), "after restart\n");
        await server.shutdown();
        await serving;
        client.close();
      },
    );

    it(
      "a stray shutdown() does not stop the next loop (DECIDE)",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, options);
        await server.ready();
        let serving = server.serveForever({ pollInterval: 10 });
        await server.shutdown();
        await serving;
        assert.equal(await settlesWithin(server.shutdown(), 100), true);
        serving = server.serveForever({ pollInterval: 10 });
        assert.equal(
          await exchange(server.serverAddress.port, "still\n"),
          "still\n",
        );
        await server.shutdown();
        await serving;
      },
    );

    it(
      "shutdown() waits for the request in flight, which completes",
      LIMIT,
      async () => {
        let finished = false;
        class Slow extends StreamRequestHandler {
          override async handle() {
            const line = await this.rfile.readline();
            await sleep(300);
            await this.wfile.write(line);
            finished = true;
          }
        }
        await using server = new TCPServer(LOCAL, Slow, options);
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await Client.connect(server.serverAddress.port);
        await client.write("slow\n");
        await sleep(50);
        await server.shutdown();
        assert.equal(
          finished,
          true,
          "shutdown() resolved before the handler ended",
        );
        assert.equal(await client.readAll(), "slow\n");
        await serving;
        client.close();
      },
    );

    it("a handler may call shutdown() without awaiting it", {
      ...LIMIT,
      ...halfCloseSkip(driver),
    }, async () => {
      class Quit extends BaseRequestHandler {
        override async handle() {
          await this.request.sendall("bye\n");
          void this.server.shutdown(); // awaiting here would wait for itself
        }
      }
      await using server = new TCPServer(LOCAL, Quit, options);
      await server.ready();
      const serving = server.serveForever({ pollInterval: 60_000 });
      assert.equal(await exchange(server.serverAddress.port, ""), "bye\n");
      assert.equal(await settlesWithin(serving, 2000), true);
    });

    it("an error in serviceActions() ends serveForever()", LIMIT, async () => {
      await using server = new TCPServer(LOCAL, LineEcho, options);
      server.serviceActions = () => {
        throw new Error("actions failed");
      };
      await server.ready();
      await assert.rejects(server.serveForever({ pollInterval: 10 }), {
        message: "actions failed",
      });
      assert.equal(await settlesWithin(server.shutdown(), 100), true);
    });

    it(
      "serverClose() during serveForever() ends the loop (DECIDE)",
      LIMIT,
      async () => {
        const server = new TCPServer(LOCAL, LineEcho, options);
        await server.ready();
        const serving = server.serveForever({ pollInterval: 60_000 });
        await sleep(20);
        await server.serverClose();
        assert.equal(await settlesWithin(serving, 2000), true);
        await serving;
      },
    );

    it(
      "runs several loops on one server, each taking its own clients",
      LIMIT,
      async () => {
        let active = 0;
        let most = 0;
        class Hold extends StreamRequestHandler {
          override async handle() {
            const line = await this.rfile.readline();
            most = Math.max(most, ++active);
            await sleep(200);
            active--;
            await this.wfile.write(line);
          }
        }
        await using server = new TCPServer(LOCAL, Hold, options);
        await server.ready();
        const loops = [1, 2, 3].map(() =>
          server.serveForever({ pollInterval: 10 })
        );
        const replies = await Promise.all(
          ["a\n", "b\n", "c\n"].map((text) =>
            exchange(server.serverAddress.port, text)
          ),
        );
        assert.deepEqual(replies, ["a\n", "b\n", "c\n"]);
        assert.equal(most, 3, "the three loops did not serve at the same time");
        await server.shutdown();
        await Promise.all(loops);
      },
    );
  });
}
