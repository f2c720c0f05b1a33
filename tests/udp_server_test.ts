// UDPServer and DatagramRequestHandler: test_socketserver's test_UDPServer
// and the checklist's UDP cases (76-82), plus many clients, errors and IPv6.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  BaseRequestHandler,
  type DatagramRequest,
  DatagramRequestHandler,
  DatagramSocket,
  type NetAddress,
  NotSupportedError,
  SocketError,
  UDPServer,
} from "../mod.ts";
import {
  decoder,
  DRIVERS,
  LIMIT,
  LOCAL,
  RUNTIME,
  settlesWithin,
  UdpClient,
} from "./_helpers.ts";

/** Echoes the datagram back through wfile. */
class Echo extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    await this.wfile.write(this.packet);
  }
}

/** Collects handleError calls instead of printing them. */
class QuietUDPServer extends UDPServer {
  errors: unknown[] = [];
  override handleError(_request: unknown, _address: unknown, error: unknown) {
    this.errors.push(error);
  }
}

for (const driver of DRIVERS) {
  describe(`UDPServer [${driver.name} driver on ${RUNTIME}]`, () => {
    it("answers a datagram with what wfile collected", LIMIT, async () => {
      let seen: { request: DatagramRequest; address: NetAddress } | undefined;
      class Upper extends DatagramRequestHandler {
        override async handle() {
          seen = { request: this.request, address: this.clientAddress };
          const line = decoder.decode(await this.rfile.readline());
          await this.wfile.write(line.toUpperCase());
          await this.wfile.write("!");
        }
      }
      await using server = new UDPServer(LOCAL, Upper, { driver });
      await server.ready();
      assert.ok(server.serverAddress.port > 0);
      assert.equal(server.serverAddress.hostname, "127.0.0.1");
      assert.equal(server.addressFamily, "AF_INET");
      const client = await UdpClient.open();
      try {
        await client.send("ping\n", server.serverAddress.port);
        await server.handleRequest();
        // Two writes, one datagram.
        assert.equal(await client.receiveText(), "PING\n!");
        const [packet, socket] = seen!.request;
        assert.deepEqual(packet, new TextEncoder().encode("ping\n"));
        assert.ok(socket instanceof DatagramSocket);
        assert.deepEqual(socket.localAddress, server.serverAddress);
        assert.deepEqual(seen!.address, {
          hostname: "127.0.0.1",
          port: client.port,
        });
      } finally {
        client.close();
      }
    });

    it("receives right after construction, before serving", LIMIT, async () => {
      await using server = new UDPServer(LOCAL, Echo, { driver });
      await server.ready();
      const client = await UdpClient.open();
      try {
        await client.send("early", server.serverAddress.port);
        const serving = server.serveForever({ pollInterval: 10 });
        assert.equal(await client.receiveText(), "early");
        await server.shutdown();
        await serving;
      } finally {
        client.close();
      }
    });

    it(
      "sends an empty datagram when the handler writes nothing",
      LIMIT,
      async () => {
        await using server = new UDPServer(LOCAL, DatagramRequestHandler, {
          driver,
        });
        await server.ready();
        const client = await UdpClient.open();
        try {
          await client.send("anything", server.serverAddress.port);
          await server.handleRequest();
          assert.deepEqual(await client.receive(), new Uint8Array(0));
        } finally {
          client.close();
        }
      },
    );

    it(
      "sends what was written, though the handler changes its array after",
      LIMIT,
      async () => {
        // Replies share blocks of memory (a buffer each costs on Deno):
        // each must still be its own bytes, small, split or large.
        class Scribble extends DatagramRequestHandler {
          override async handle() {
            const mine = this.packet;
            await this.wfile.write(mine);
            mine.fill(0x21);
            if (mine.length % 2 === 0) await this.wfile.write("|");
          }
        }
        await using server = new UDPServer(LOCAL, Scribble, { driver });
        await server.ready();
        const client = await UdpClient.open();
        try {
          for (const size of [1, 2, 7, 64, 1023, 1024, 1025, 3000, 5, 8]) {
            const text = String.fromCharCode(97 + size % 26).repeat(size);
            await client.send(text, server.serverAddress.port);
            await server.handleRequest();
            assert.equal(
              await client.receiveText(),
              size % 2 === 0 ? `${text}|` : text,
              `a reply of ${size} bytes`,
            );
          }
        } finally {
          client.close();
        }
      },
    );

    it("delivers an empty datagram as an empty packet", LIMIT, async () => {
      let size = -1;
      class Size extends DatagramRequestHandler {
        override async handle() {
          size = this.packet.length;
          await this.wfile.write(String((await this.rfile.read()).length));
        }
      }
      await using server = new UDPServer(LOCAL, Size, { driver });
      await server.ready();
      const client = await UdpClient.open();
      try {
        await client.send(new Uint8Array(0), server.serverAddress.port);
        await server.handleRequest();
        assert.equal(await client.receiveText(), "0");
        assert.equal(size, 0);
      } finally {
        client.close();
      }
    });

    it(
      "cuts a datagram longer than maxPacketSize, as recvfrom does",
      LIMIT,
      async () => {
        const sizes: number[] = [];
        class Size extends DatagramRequestHandler {
          override handle() {
            sizes.push(this.packet.length);
          }
        }
        await using server = new UDPServer(LOCAL, Size, { driver });
        await server.ready();
        assert.equal(server.maxPacketSize, 8192);
        const client = await UdpClient.open();
        try {
          const big = new Uint8Array(10_000).fill(7);
          await client.send(big, server.serverAddress.port);
          await server.handleRequest();
          await client.receive();
          server.maxPacketSize = 65507;
          await client.send(new Uint8Array(65507), server.serverAddress.port);
          await server.handleRequest();
          await client.receive();
          assert.deepEqual(sizes, [8192, 65507]);
        } finally {
          client.close();
        }
      },
    );

    it(
      "replies 'partial' then reports the error, and serves the next datagram",
      LIMIT,
      async () => {
        class Partial extends DatagramRequestHandler {
          override async handle() {
            await this.wfile.write("partial");
            if (decoder.decode(this.packet) === "boom") throw new Error("boom");
          }
        }
        await using server = new QuietUDPServer(LOCAL, Partial, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await UdpClient.open();
        try {
          await client.send("boom", server.serverAddress.port);
          assert.equal(await client.receiveText(), "partial");
          await client.send("fine", server.serverAddress.port);
          assert.equal(await client.receiveText(), "partial");
          assert.equal(server.errors.length, 1);
          assert.equal((server.errors[0] as Error).message, "boom");
        } finally {
          client.close();
          await server.shutdown();
          await serving;
        }
      },
    );

    it(
      "answers 50 clients, each with its own reply, on one shared socket",
      LIMIT,
      async () => {
        await using server = new UDPServer(LOCAL, Echo, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const clients = await Promise.all(
          Array.from({ length: 50 }, () => UdpClient.open()),
        );
        try {
          await Promise.all(
            clients.map((c, i) =>
              c.send(`client ${i}`, server.serverAddress.port)
            ),
          );
          const replies = await Promise.all(
            clients.map((c) => c.receiveText()),
          );
          assert.deepEqual(replies, clients.map((_, i) => `client ${i}`));
        } finally {
          for (const c of clients) c.close();
          await server.shutdown();
          await serving;
        }
      },
    );

    it(
      "reports a reply too large to send (EMSGSIZE) and keeps serving",
      LIMIT,
      async () => {
        class Huge extends DatagramRequestHandler {
          override async handle() {
            if (decoder.decode(this.packet) === "huge") {
              await this.wfile.write(new Uint8Array(70_000));
            } else await this.wfile.write("small");
          }
        }
        await using server = new QuietUDPServer(LOCAL, Huge, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await UdpClient.open();
        try {
          await client.send("huge", server.serverAddress.port);
          await client.send("next", server.serverAddress.port);
          assert.equal(await client.receiveText(), "small");
          assert.equal(server.errors.length, 1);
          assert.ok(server.errors[0] instanceof SocketError);
          assert.equal((server.errors[0] as SocketError).code, "EMSGSIZE");
        } finally {
          client.close();
          await server.shutdown();
          await serving;
        }
      },
    );

    it(
      "a plain handler can answer through request[1].sendto",
      LIMIT,
      async () => {
        class Twice extends BaseRequestHandler<DatagramRequest> {
          override async handle() {
            const [packet, socket] = this.request;
            assert.equal(await socket.sendto(packet, this.clientAddress), 3);
            await socket.sendto("two", this.clientAddress);
          }
        }
        await using server = new UDPServer(LOCAL, Twice, { driver });
        await server.ready();
        const client = await UdpClient.open();
        try {
          await client.send("one", server.serverAddress.port);
          await server.handleRequest();
          assert.equal(await client.receiveText(), "one");
          assert.equal(await client.receiveText(), "two");
        } finally {
          client.close();
        }
      },
    );

    it("serves IPv6 on ::1", LIMIT, async () => {
      await using server = new UDPServer(
        { hostname: "::1", port: 0 },
        Echo,
        { driver },
      );
      await server.ready();
      assert.equal(server.serverAddress.hostname, "::1");
      assert.equal(server.addressFamily, "AF_INET6");
      const client = await UdpClient.open("::1");
      try {
        await client.send("six", server.serverAddress.port, "::1");
        await server.handleRequest();
        assert.equal(await client.receiveText(), "six");
      } finally {
        client.close();
      }
    });

    it(
      "frees its port on serverClose and fails a rebind while bound",
      LIMIT,
      async () => {
        const first = new UDPServer(LOCAL, Echo, { driver });
        await first.ready();
        const port = first.serverAddress.port;
        const clash = new UDPServer({ hostname: "127.0.0.1", port }, Echo, {
          driver,
        });
        await assert.rejects(
          clash.ready(),
          (e: SocketError) => e.code === "EADDRINUSE",
        );
        await first.serverClose();
        assert.equal(first.fileno(), -1);
        await using again = new UDPServer(
          { hostname: "127.0.0.1", port },
          Echo,
          { driver },
        );
        await again.ready();
        assert.equal(again.serverAddress.port, port);
      },
    );

    it(
      "stops serveForever waiting for a datagram at shutdown",
      LIMIT,
      async () => {
        await using server = new UDPServer(LOCAL, Echo, { driver });
        await server.ready();
        const serving = server.serveForever({ pollInterval: null });
        await server.shutdown();
        assert.ok(await settlesWithin(serving, 2000));
      },
    );

    it("rejects bad input before any socket opens", LIMIT, () => {
      assert.throws(
        () => new UDPServer({ hostname: "127.0.0.1", port: 65536 }, Echo),
        RangeError,
      );
      assert.throws(
        // @ts-expect-error: tls is for stream servers
        () => new UDPServer(LOCAL, Echo, { driver, tls: {} }),
        TypeError,
      );
    });

    it("reports a bad maxPacketSize when serving", LIMIT, async () => {
      await using server = new UDPServer(LOCAL, Echo, { driver });
      await server.ready();
      server.maxPacketSize = 0;
      await assert.rejects(server.handleRequest(), RangeError);
    });

    if (driver.unsupported("udpReusePort") !== undefined) {
      it(
        "refuses allowReusePort where the UDP socket lacks it",
        LIMIT,
        async () => {
          const server = new UDPServer(LOCAL, Echo, {
            driver,
            bindAndActivate: false,
          });
          server.allowReusePort = true;
          await assert.rejects(server.serverBind(), NotSupportedError);
          await server.serverClose();
        },
      );
    } else {
      it(
        "lets two servers share a port with allowReusePort",
        LIMIT,
        async () => {
          class Shared extends UDPServer {
            override allowReusePort = true;
          }
          await using first = new Shared(LOCAL, Echo, { driver });
          await first.ready();
          await using second = new Shared(
            { hostname: "127.0.0.1", port: first.serverAddress.port },
            Echo,
            { driver },
          );
          await second.ready();
          assert.equal(second.serverAddress.port, first.serverAddress.port);
        },
      );
    }
  });
}
