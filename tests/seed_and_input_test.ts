// The seed programs (echo with BaseRequestHandler, line echo, the time-stamp
// server, bindAndActivate false with allowReuseAddress) and bad input that
// must fail before any socket is opened.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  BaseRequestHandler,
  formatAddress,
  StreamRequestHandler,
  TCPServer,
} from "../mod.ts";
import {
  Client,
  decoder,
  DRIVERS,
  fdCount,
  LIMIT,
  LOCAL,
  RUNTIME,
} from "./_helpers.ts";

for (const driver of DRIVERS) {
  const options = { driver };
  describe(`seed programs [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "echo with BaseRequestHandler: send(Hello) is 5, recv gives Hello",
      LIMIT,
      async () => {
        const printed: string[] = [];
        class EchoHandler extends BaseRequestHandler {
          override async handle() {
            printed.push(
              `Got connection from ${formatAddress(this.clientAddress)}`,
            );
            for (;;) {
              const msg = await this.request.recv(8192);
              if (msg.length === 0) break;
              assert.equal(await this.request.send(msg), msg.length);
            }
          }
        }
        await using server = new TCPServer(LOCAL, EchoHandler, options);
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await Client.connect(server.serverAddress.port);
        const clientPort = client.localPort;
        await client.write("Hello");
        assert.equal(await client.readUntil("Hello"), "Hello");
        client.end();
        await client.readAll();
        assert.deepEqual(printed, [
          `Got connection from 127.0.0.1:${clientPort}`,
        ]);
        await server.shutdown();
        await serving;
        client.close();
      },
    );

    it("line echo: for line in rfile, write it back", LIMIT, async () => {
      class LineEcho extends StreamRequestHandler {
        override async handle() {
          for await (const line of this.rfile) await this.wfile.write(line);
        }
      }
      await using server = new TCPServer(LOCAL, LineEcho, options);
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const client = await Client.connect(server.serverAddress.port);
      await client.write("one\n");
      assert.equal(await client.readUntil("one\n"), "one\n");
      await client.write("two\n");
      assert.equal(await client.readUntil("two\n"), "one\ntwo\n");
      client.end();
      await client.readAll();
      await server.shutdown();
      await serving;
      client.close();
    });

    it("time-stamp server answers each connection's line", LIMIT, async () => {
      class TimeStamp extends StreamRequestHandler {
        static override timeout = 5000;
        override async handle() {
          const line = decoder.decode(await this.rfile.readline());
          await this.wfile.write(`[${new Date().toString()}] ${line}`);
        }
      }
      await using server = new TCPServer(LOCAL, TimeStamp, options);
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      for (const text of ["first", "second"]) {
        const client = await Client.connect(server.serverAddress.port);
        await client.write(`${text}\r\n`);
        const answer = (await client.readAll()).trim();
        assert.match(answer, new RegExp(`^\\[.+\\] ${text}$`));
        client.close();
      }
      await server.shutdown();
      await serving;
    });

    it(
      "bindAndActivate false, allowReuseAddress, then bind and activate",
      LIMIT,
      async () => {
        class MyHandler extends BaseRequestHandler {
          override async handle() {
            await this.request.sendall(await this.request.recv(1024));
          }
        }
        const serv = new TCPServer(LOCAL, MyHandler, {
          ...options,
          bindAndActivate: false,
        });
        serv.allowReuseAddress = true;
        await serv.serverBind();
        serv.serverActivate();
        const serving = serv.serveForever({ pollInterval: 10 });
        const client = await Client.connect(serv.serverAddress.port);
        await client.write("reuse");
        assert.equal(await client.readAll(), "reuse");
        client.close();
        await serv.shutdown();
        await serving;
        await serv.serverClose();
      },
    );
  });
}

describe(`bad input fails before any socket opens [${RUNTIME}]`, () => {
  const H = BaseRequestHandler;
  const cases: [string, () => unknown, ErrorConstructor][] = [
    [
      "port -1",
      () => new TCPServer({ hostname: "127.0.0.1", port: -1 }, H),
      RangeError,
    ],
    [
      "port 70000",
      () => new TCPServer({ hostname: "127.0.0.1", port: 70000 }, H),
      RangeError,
    ],
    [
      "port 1.5",
      () => new TCPServer({ hostname: "127.0.0.1", port: 1.5 }, H),
      RangeError,
    ],
    [
      "port as a string",
      () =>
        new TCPServer({
          hostname: "127.0.0.1",
          port: "80" as unknown as number,
        }, H),
      TypeError,
    ],
    [
      "empty hostname",
      () => new TCPServer({ hostname: "", port: 0 }, H),
      TypeError,
    ],
    [
      "no address",
      () => new TCPServer(null as unknown as typeof LOCAL, H),
      TypeError,
    ],
    [
      "handler is a string",
      () => new TCPServer(LOCAL, "H" as unknown as typeof H),
      TypeError,
    ],
    [
      "handler is a class that does not extend BaseRequestHandler",
      () => new TCPServer(LOCAL, class NotAHandler {} as unknown as typeof H),
      TypeError,
    ],
    [
      "unknown option (a typo)",
      () =>
        new TCPServer(LOCAL, H, { bindAndActive: false } as unknown as object),
      TypeError,
    ],
    [
      "bindAndActivate not a boolean",
      () =>
        new TCPServer(LOCAL, H, {
          bindAndActivate: "no" as unknown as boolean,
        }),
      TypeError,
    ],
    [
      "driver without listenTcp",
      () =>
        new TCPServer(LOCAL, H, { driver: {} as unknown as typeof DRIVERS[0] }),
      TypeError,
    ],
  ];
  for (const [name, make, type] of cases) {
    it(`throws ${type.name} for ${name}`, LIMIT, () => {
      const before = fdCount();
      assert.throws(make, type);
      assert.equal(fdCount(), before);
    });
  }

  it("rejects bad serving options and bad buffer sizes", LIMIT, async () => {
    await using server = new TCPServer(LOCAL, H, { bindAndActivate: false });
    await assert.rejects(server.serveForever({ pollInterval: -1 }), RangeError);
    server.timeout = -5;
    await assert.rejects(server.handleRequest(), RangeError);
    server.requestQueueSize = 0;
    await assert.rejects(server.serverBind(), RangeError);
  });

  it(
    "rejects a host name that does not resolve, with a code",
    LIMIT,
    async () => {
      const server = new TCPServer({
        hostname: "no-such-host.invalid",
        port: 0,
      }, H);
      await assert.rejects(server.ready(), (error: { code?: unknown }) => {
        assert.equal(typeof error.code, "string");
        return true;
      });
      assert.equal(server.closed, true);
    },
  );
});
