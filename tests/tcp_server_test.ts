// TCPServer construction, binding, addresses and closing: the checklist's
// "Construction, binding, addresses" cases and test_socketserver's
// test_TCPServer, test_tcpserver_bind_leak and test_context_manager.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  BaseRequestHandler,
  NotSupportedError,
  ServerClosedError,
  SocketError,
  TCPServer,
} from "../mod.ts";
import {
  Client,
  DRIVERS,
  exchange,
  fdCount,
  LIMIT,
  LineEcho,
  LOCAL,
  RUNTIME,
} from "./_helpers.ts";

for (const driver of DRIVERS) {
  describe(`TCPServer binding [${driver.name} driver on ${RUNTIME}]`, () => {
    it("replaces port 0 by the real port", LIMIT, async () => {
      await using server = new TCPServer(LOCAL, LineEcho, { driver });
      assert.equal(await server.ready(), server);
      assert.ok(server.serverAddress.port > 0);
      assert.equal(server.serverAddress.hostname, "127.0.0.1");
      assert.equal(server.addressFamily, "AF_INET");
    });

    it("reports localhost as the address it resolved to", LIMIT, async () => {
      await using server = new TCPServer(
        { hostname: "localhost", port: 0 },
        LineEcho,
        {
          driver,
        },
      );
      await server.ready();
      assert.equal(server.serverAddress.hostname, "127.0.0.1");
    });

    it("serves IPv6 on ::1", LIMIT, async () => {
      await using server = new TCPServer(
        { hostname: "::1", port: 0 },
        LineEcho,
        { driver },
      );
      await server.ready();
      assert.equal(server.serverAddress.hostname, "::1");
      assert.equal(server.addressFamily, "AF_INET6");
      const serving = server.serveForever({ pollInterval: 10 });
      assert.equal(
        await exchange(server.serverAddress.port, "six\n", "::1"),
        "six\n",
      );
      await server.shutdown();
      await serving;
    });

    it(
      "serves three clients in a row, then closes (test_TCPServer)",
      LIMIT,
      async () => {
        const server = new TCPServer(LOCAL, LineEcho, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        for (let i = 0; i < 3; i++) {
          assert.equal(
            await exchange(server.serverAddress.port, `hello world ${i}\n`),
            `hello world ${i}\n`,
          );
        }
        await server.shutdown();
        await serving;
        await server.serverClose();
        assert.equal(server.fileno(), -1);
        assert.equal(server.closed, true);
      },
    );

    it(
      "accepts a connection into the backlog before serving starts",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, { driver });
        await server.ready();
        const client = await Client.connect(server.serverAddress.port);
        await client.write("early\n");
        await server.handleRequest();
        assert.equal(await client.readAll(), "early\n");
        client.close();
      },
    );

    it("with bindAndActivate false, binds only when asked", LIMIT, async () => {
      await using server = new TCPServer(LOCAL, LineEcho, {
        driver,
        bindAndActivate: false,
      });
      assert.deepEqual(server.serverAddress, LOCAL);
      assert.equal(server.fileno(), -1);
      let ready = false;
      void server.ready().then(() => ready = true);
      await server.serverBind();
      assert.ok(server.serverAddress.port > 0);
      assert.equal(ready, false);
      server.serverActivate();
      await server.ready();
      assert.equal(ready, true);
      const handled = server.handleRequest();
      assert.equal(
        await exchange(server.serverAddress.port, "late\n"),
        "late\n",
      );
      await handled;
    });

    it(
      "rejects ready() with EADDRINUSE when the port is taken",
      LIMIT,
      async () => {
        await using first = new TCPServer(LOCAL, LineEcho, { driver });
        await first.ready();
        const second = new TCPServer(first.serverAddress, LineEcho, { driver });
        await assert.rejects(second.ready(), (error: SocketError) => {
          assert.ok(error instanceof SocketError);
          assert.equal(error.code, "EADDRINUSE");
          return true;
        });
        assert.equal(second.closed, true);
        await assert.rejects(second.serveForever(), SocketError);
      },
    );

    it(
      "leaks no descriptor over 200 failed binds (bpo-22435)",
      LIMIT,
      async () => {
        await using first = new TCPServer(LOCAL, LineEcho, { driver });
        await first.ready();
        const before = fdCount();
        for (let i = 0; i < 200; i++) {
          const server = new TCPServer(first.serverAddress, LineEcho, {
            driver,
          });
          await assert.rejects(server.ready(), { code: "EADDRINUSE" });
        }
        assert.ok(
          fdCount() <= before + 2,
          `fds before ${before}, after ${fdCount()}`,
        );
      },
    );

    it(
      "keeps two live listeners apart even with allowReuseAddress",
      LIMIT,
      async () => {
        class Reuse extends TCPServer {
          override allowReuseAddress = true;
        }
        await using first = new Reuse(LOCAL, LineEcho, { driver });
        await first.ready();
        const second = new Reuse(first.serverAddress, LineEcho, { driver });
        await assert.rejects(second.ready(), { code: "EADDRINUSE" });
      },
    );

    it(
      "rebinds a port whose connection is in TIME_WAIT (allowReuseAddress)",
      LIMIT,
      async () => {
        const first = new TCPServer(LOCAL, LineEcho, { driver });
        await first.ready();
        const address = first.serverAddress;
        const handled = first.handleRequest();
        // The server closes first, so its side of the connection sits in TIME_WAIT.
        assert.equal(await exchange(address.port, "tw\n"), "tw\n");
        await handled;
        await first.serverClose();

        const second = new TCPServer(address, LineEcho, {
          driver,
          bindAndActivate: false,
        });
        second.allowReuseAddress = true;
        await second.serverBind();
        second.serverActivate();
        assert.equal(second.serverAddress.port, address.port);
        await second.serverClose();
      },
    );

    it("lets two servers share a port with allowReusePort", LIMIT, async () => {
      class Shared extends TCPServer {
        override allowReusePort = true;
      }
      await using first = new Shared(LOCAL, LineEcho, { driver });
      await first.ready();
      await using second = new Shared(first.serverAddress, LineEcho, {
        driver,
      });
      await second.ready();
      assert.equal(second.serverAddress.port, first.serverAddress.port);
    });

    it("refuses new connections after serverClose()", LIMIT, async () => {
      const server = new TCPServer(LOCAL, LineEcho, { driver });
      await server.ready();
      const { port } = server.serverAddress;
      await server.serverClose();
      await server.serverClose(); // twice is fine
      assert.deepEqual(server.serverAddress, { hostname: "127.0.0.1", port });
      assert.equal(server.fileno(), -1);
      await assert.rejects(Client.connect(port), { code: "ECONNREFUSED" });
      await assert.rejects(server.handleRequest(), ServerClosedError);
      await assert.rejects(server.serveForever(), ServerClosedError);
      await assert.rejects(server.ready(), ServerClosedError);
    });

    it(
      "drops clients that were never served when it closes",
      LIMIT,
      async () => {
        const server = new TCPServer(LOCAL, LineEcho, { driver });
        await server.ready();
        const waiting = await Client.connect(server.serverAddress.port);
        await waiting.write("never served\n");
        await server.serverClose();
        assert.equal(await waiting.closedWithin(5000), true);
        assert.equal(waiting.received, "");
        waiting.close();
      },
    );

    it(
      "closes at the end of an await using block, also on error",
      LIMIT,
      async () => {
        let kept: TCPServer | undefined;
        await assert.rejects(
          (async () => {
            await using server = new TCPServer(LOCAL, LineEcho, { driver });
            kept = server;
            await server.ready();
            throw new Error("inside the block");
          })(),
          { message: "inside the block" },
        );
        assert.equal(kept?.closed, true);
        assert.equal(kept?.fileno(), -1);
      },
    );

    it(
      "exposes the listening descriptor where the runtime does",
      LIMIT,
      async () => {
        await using server = new TCPServer(LOCAL, BaseRequestHandler, {
          driver,
        });
        await server.ready();
        if (
          driver.name === "deno" ||
          (driver.name === "node" && RUNTIME === "deno")
        ) {
          assert.throws(() => server.fileno(), NotSupportedError);
        } else {
          assert.ok(server.fileno() > 2);
        }
      },
    );
  });
}
