// The core's own logic on the memory driver: the request loop, errors,
// limits, timeouts and closing, without a socket. The driver contract suite
// holds the memory driver to what the runtime drivers do, so what passes
// here is the core's doing; these tests run in milliseconds.

import assert from "node:assert/strict";
import { memoryDriver } from "../adapters/memory/index.ts";
import {
  closeOnSignals,
  DatagramRequestHandler,
  EventLoopTCPServer,
  EventLoopUDPServer,
  ForkingTCPServer,
  LineTooLongError,
  NotSupportedError,
  StreamRequestHandler,
  TCPServer,
  TimeoutError,
  UDPServer,
  UnixStreamServer,
} from "../mod.ts";
import { collectingErrors, sleep, until } from "./_helpers.ts";
import { decoder, encoder, LOCAL, readAll, talk } from "./_memory.ts";
import { describe, it } from "./_testing.ts";

class LineEcho extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for (let line; (line = await this.rfile.readline()).length > 0;) {
      await this.wfile.write(line);
    }
  }
}

class Fails extends StreamRequestHandler {
  override async handle(): Promise<void> {
    const line = decoder.decode(await this.rfile.readline());
    if (line.startsWith("fail")) throw new Error(`asked to: ${line.trim()}`);
    await this.wfile.write(encoder.encode(`ok ${line}`));
  }
}

/** A handler a pool could load, were there child processes. */
export class PoolEcho extends LineEcho {
  static module = import.meta.url;
}

describe("The core on the memory driver", () => {
  it("serves clients one after another, as Python's TCPServer", async () => {
    const { driver, network } = memoryDriver();
    await using server = new TCPServer(LOCAL, LineEcho, { driver });
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    for (let i = 0; i < 50; i++) {
      assert.equal(
        await talk(network, server.serverAddress, `a${i}\nb${i}\n`),
        `a${i}\nb${i}\n`,
      );
    }
    await server.shutdown();
    await serving;
  });

  it("reports a handler's error through handleError and serves on", async () => {
    const { driver, network } = memoryDriver();
    const errors: unknown[] = [];
    const Server = collectingErrors(TCPServer, errors);
    await using server = new Server(LOCAL, Fails, { driver });
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    assert.equal(await talk(network, server.serverAddress, "fail 1\n"), "");
    assert.equal(await talk(network, server.serverAddress, "x\n"), "ok x\n");
    assert.equal(await talk(network, server.serverAddress, "fail 2\n"), "");
    assert.equal(await talk(network, server.serverAddress, "y\n"), "ok y\n");
    await server.shutdown();
    await serving;
    assert.deepEqual(
      errors.map((e) => (e as Error).message),
      ["asked to: fail 1", "asked to: fail 2"],
    );
  });

  it("closes a connection verifyRequest refuses, without a handler", async () => {
    const { driver, network } = memoryDriver();
    let handled = 0;
    class Counted extends LineEcho {
      override handle(): Promise<void> {
        handled++;
        return super.handle();
      }
    }
    let calls = 0;
    class Picky extends TCPServer {
      override verifyRequest(): boolean {
        return ++calls % 2 === 0; // every other client
      }
    }
    await using server = new Picky(LOCAL, Counted, { driver });
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    assert.equal(await talk(network, server.serverAddress, "one\n"), "");
    assert.equal(await talk(network, server.serverAddress, "two\n"), "two\n");
    await server.shutdown();
    await serving;
    assert.equal(handled, 1);
  });

  it("reports a line past the readline limit as LineTooLongError", async () => {
    const { driver, network } = memoryDriver();
    const errors: unknown[] = [];
    const Server = collectingErrors(TCPServer, errors);
    await using server = new Server(LOCAL, LineEcho, { driver });
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    const flooder = await network.connect(server.serverAddress);
    // The server gives up reading and closes, so this write may fail.
    const flooding = flooder.write(encoder.encode("x".repeat(200_000)));
    flooding.catch(() => {});
    assert.equal(await readAll(flooder), "");
    flooder.close();
    assert.equal(await talk(network, server.serverAddress, "ok\n"), "ok\n");
    await server.shutdown();
    await serving;
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof LineTooLongError);
  });

  it("runs at most maxConnections handlers; the rest wait their turn", async () => {
    const { driver, network } = memoryDriver();
    let running = 0;
    let most = 0;
    class Held extends StreamRequestHandler {
      override async handle(): Promise<void> {
        most = Math.max(most, ++running);
        await this.rfile.readline();
        await this.wfile.write(encoder.encode("done\n"));
        running--;
      }
    }
    await using server = new EventLoopTCPServer(LOCAL, Held, { driver });
    server.maxConnections = 3;
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    const clients = await Promise.all(
      Array.from({ length: 8 }, () => network.connect(server.serverAddress)),
    );
    assert.ok(await until(() => server.activeConnections === 3, 2000));
    await sleep(20);
    assert.equal(server.activeConnections, 3, "no fourth handler started");
    const replies = clients.map(async (client) => {
      await client.write(encoder.encode("go\n"));
      return readAll(client);
    });
    assert.deepEqual(await Promise.all(replies), Array(8).fill("done\n"));
    assert.equal(most, 3);
    for (const client of clients) client.close();
    await server.shutdown();
    await serving;
  });

  it("stops a handler past handlerTimeout and reports a TimeoutError", async () => {
    const { driver, network } = memoryDriver();
    class Stuck extends StreamRequestHandler {
      override async handle(): Promise<void> {
        await this.rfile.readline(); // the client never sends a line
      }
    }
    const errors: unknown[] = [];
    const Server = collectingErrors(EventLoopTCPServer, errors);
    await using server = new Server(LOCAL, Stuck, { driver });
    server.handlerTimeout = 50;
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    const client = await network.connect(server.serverAddress);
    assert.equal(await readAll(client), "", "the server closed it");
    client.close();
    assert.ok(await until(() => server.activeConnections === 0, 2000));
    await server.shutdown();
    await serving;
    assert.ok(errors[0] instanceof TimeoutError);
  });

  it("cuts a client idle past idleTimeout", async () => {
    const { driver, network } = memoryDriver();
    await using server = new EventLoopTCPServer(LOCAL, LineEcho, { driver });
    server.idleTimeout = 50;
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    const client = await network.connect(server.serverAddress);
    await client.write(encoder.encode("hi\n"));
    assert.equal(decoder.decode((await client.read())!), "hi\n");
    const started = Date.now();
    // The cut is a reset: a client gone silent is not owed a FIN.
    await assert.rejects(client.read(), { code: "ECONNRESET" });
    assert.ok(Date.now() - started >= 40, "not before idleTimeout");
    client.close();
    await server.shutdown();
    await serving;
  });

  it("closes running requests once closeGrace has passed", async () => {
    const { driver, network } = memoryDriver();
    await using server = new EventLoopTCPServer(LOCAL, LineEcho, { driver });
    server.closeGrace = 50;
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    const idle = await network.connect(server.serverAddress);
    await idle.write(encoder.encode("first\n"));
    assert.equal(decoder.decode((await idle.read())!), "first\n");
    await server.shutdown();
    await serving;
    const started = Date.now();
    await server.serverClose();
    assert.equal(await idle.read(), null, "its connection was closed");
    assert.ok(await until(() => server.activeConnections === 0, 2000));
    assert.ok(Date.now() - started < 5000);
    idle.close();
  });

  it("stops on a signal through closeOnSignals, from the driver's host", async () => {
    const { driver, network, host } = memoryDriver();
    await using server = new EventLoopTCPServer(LOCAL, LineEcho, { driver });
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    const notices: string[] = [];
    let closed = false;
    closeOnSignals(server, {
      onStopping: (notice) => notices.push(notice.message),
      onClosed: () => closed = true,
    });
    assert.equal(await talk(network, server.serverAddress, "a\n"), "a\n");
    host.raise("SIGTERM");
    await serving;
    assert.ok(await until(() => closed, 2000));
    assert.match(notices[0], /^stopping/);
    await assert.rejects(network.connect(server.serverAddress), {
      code: "ECONNREFUSED",
    });
  });

  it("serves Unix stream clients by path, with nothing on disk", async () => {
    const { driver, network } = memoryDriver();
    const address = { path: "/nonexistent/dir/memory.sock" };
    await using server = new UnixStreamServer(address, LineEcho, { driver });
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    assert.equal(await talk(network, address, "unix\n"), "unix\n");
    await server.shutdown();
    await serving;
  });

  it("runs a handler per datagram and replies to its sender", async () => {
    const { driver, network } = memoryDriver();
    class Upper extends DatagramRequestHandler {
      override async handle(): Promise<void> {
        const text = decoder.decode(this.packet).toUpperCase();
        await this.wfile.write(encoder.encode(text));
      }
    }
    for (const Server of [UDPServer, EventLoopUDPServer]) {
      await using server = new Server(LOCAL, Upper, { driver });
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const client = await network.bindUdp({ ...LOCAL, reusePort: false });
      for (let i = 0; i < 100; i++) {
        await client.send(encoder.encode(`d${i}`), server.serverAddress);
        const reply = await client.receive(100);
        assert.equal(decoder.decode(reply.data), `D${i}`);
        assert.deepEqual(reply.from, server.serverAddress);
      }
      await client.close();
      await server.shutdown();
      await serving;
    }
  });

  it("refuses ForkingMixIn before any socket: the memory driver starts no child", () => {
    const { driver } = memoryDriver();
    assert.throws(
      () => new ForkingTCPServer(LOCAL, PoolEcho, { driver }),
      NotSupportedError,
    );
  });
});
