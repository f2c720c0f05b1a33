// StreamRequestHandler: rfile and wfile (test_socketserver's SocketWriterTest,
// the checklist's StreamRequestHandler cases) and the readline limit.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  DEFAULT_LINE_LIMIT,
  LineTooLongError,
  StreamRequestHandler,
  TCPServer,
} from "../mod.ts";
import {
  Client,
  decoder,
  DRIVERS,
  exchange,
  halfCloseSkip,
  LIMIT,
  LOCAL,
  RUNTIME,
  sleep,
} from "./_helpers.ts";

for (const driver of DRIVERS) {
  const options = { driver };
  describe(`StreamRequestHandler [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "sends an unbuffered write at once, before the handler reads",
      LIMIT,
      async () => {
        let written = -1;
        class Greeter extends StreamRequestHandler {
          override async handle() {
            written = await this.wfile.write("write data\n");
            await this.rfile.readline(); // waits for the client's answer
          }
        }
        await using server = new TCPServer(LOCAL, Greeter, options);
        await server.ready();
        const handled = server.handleRequest();
        const client = await Client.connect(server.serverAddress.port);
        assert.equal(await client.readUntil("\n"), "write data\n");
        assert.equal(written, 11);
        await client.write("done\n");
        await client.readAll();
        await handled;
        client.close();
      },
    );

    it(
      "writes 16 MiB + 1 in one call, every byte delivered",
      LIMIT,
      async () => {
        const size = 16 * 1024 * 1024 + 1;
        let written = 0;
        class Big extends StreamRequestHandler {
          override async handle() {
            const data = new Uint8Array(size);
            for (let i = 0; i < size; i++) data[i] = i % 251;
            written = await this.wfile.write(data);
          }
        }
        await using server = new TCPServer(LOCAL, Big, options);
        await server.ready();
        const handled = server.handleRequest();
        const client = await Client.connect(server.serverAddress.port);
        const got = await client.readAllBytes();
        await handled;
        assert.equal(written, size);
        assert.equal(got.length, size);
        for (let i = 0; i < size; i += 4099) assert.equal(got[i], i % 251);
        assert.equal(got[size - 1], (size - 1) % 251);
        client.close();
      },
    );

    it("rebuilds a line sent in pieces and iterates lines", LIMIT, async () => {
      const lines: string[] = [];
      class Lines extends StreamRequestHandler {
        override async handle() {
          for await (const line of this.rfile) lines.push(decoder.decode(line));
        }
      }
      await using server = new TCPServer(LOCAL, Lines, options);
      await server.ready();
      const handled = server.handleRequest();
      const client = await Client.connect(server.serverAddress.port);
      for (const piece of ["he", "llo wo", "rld\nsec", "ond\n", "last"]) {
        await client.write(piece);
        await sleep(10);
      }
      client.end();
      await client.readAll();
      await handled;
      assert.deepEqual(lines, ["hello world\n", "second\n", "last"]);
      client.close();
    });

    it("refuses a line past the limit and keeps its bytes", LIMIT, async () => {
      let caught: unknown;
      let rest = 0;
      class Limited extends StreamRequestHandler {
        override async handle() {
          try {
            await this.rfile.readline();
          } catch (error) {
            caught = error;
          }
          rest = (await this.rfile.read()).length;
        }
      }
      await using server = new TCPServer(LOCAL, Limited, options);
      await server.ready();
      const handled = server.handleRequest();
      const line = "x".repeat(DEFAULT_LINE_LIMIT + 10) + "\n";
      await exchange(server.serverAddress.port, line);
      await handled;
      assert.ok(caught instanceof LineTooLongError);
      assert.equal(caught.code, "ERR_LINE_TOO_LONG");
      assert.equal(rest, line.length, "bytes were lost");
    });

    it("reads a 1,000,001-byte line with a raised limit", LIMIT, async () => {
      let length = 0;
      class Long extends StreamRequestHandler {
        override async handle() {
          length = (await this.rfile.readline({ limit: 2_000_000 })).length;
        }
      }
      await using server = new TCPServer(LOCAL, Long, options);
      await server.ready();
      const handled = server.handleRequest();
      await exchange(server.serverAddress.port, "y".repeat(1_000_000) + "\n");
      await handled;
      assert.equal(length, 1_000_001);
    });

    it("mixes rfile and recv() without losing bytes", LIMIT, async () => {
      const seen: string[] = [];
      class Mixed extends StreamRequestHandler {
        override async handle() {
          seen.push(decoder.decode(await this.rfile.readline()));
          seen.push(decoder.decode(await this.request.recv(3)));
          seen.push(decoder.decode(await this.rfile.read(4)));
          seen.push(decoder.decode(await this.rfile.read()));
        }
      }
      await using server = new TCPServer(LOCAL, Mixed, options);
      await server.ready();
      const handled = server.handleRequest();
      await exchange(server.serverAddress.port, "head\nabcdefgh-tail");
      await handled;
      assert.deepEqual(seen, ["head\n", "abc", "defg", "h-tail"]);
    });

    it("delivers buffered writes through finish() (wbufsize > 0)", {
      ...LIMIT,
      ...halfCloseSkip(driver),
    }, async () => {
      class Buffered extends StreamRequestHandler {
        static override wbufsize = 1 << 20;
        override async handle() {
          for (let i = 0; i < 100; i++) await this.wfile.write(`line ${i}\n`);
        }
      }
      await using server = new TCPServer(LOCAL, Buffered, options);
      await server.ready();
      const handled = server.handleRequest();
      const reply = await exchange(server.serverAddress.port, "");
      await handled;
      assert.equal(reply.split("\n").length, 101);
      assert.ok(reply.startsWith("line 0\n") && reply.endsWith("line 99\n"));
    });

    it(
      "holds back a client that sends faster than the handler reads",
      LIMIT,
      async () => {
        const total = 32 * 1024 * 1024;
        let received = 0;
        class Slow extends StreamRequestHandler {
          static override rbufsize = 16 * 1024;
          override async handle() {
            await sleep(300); // the client floods meanwhile
            for (;;) {
              const chunk = await this.rfile.read(65536);
              if (chunk.length === 0) break;
              received += chunk.length;
            }
          }
        }
        await using server = new TCPServer(LOCAL, Slow, options);
        await server.ready();
        const handled = server.handleRequest();
        const client = await Client.connect(server.serverAddress.port);
        const chunk = new Uint8Array(1024 * 1024);
        let accepted = 0;
        const writing = (async () => {
          for (let sent = 0; sent < total; sent += chunk.length) {
            await client.write(chunk);
            accepted += chunk.length;
          }
          client.end();
        })();
        await sleep(200);
        // The kernel buffers a few MiB at most; the rest waits in the client.
        assert.ok(
          accepted < total / 2,
          `${accepted} bytes accepted while not reading`,
        );
        await writing;
        await client.readAll();
        await handled;
        assert.equal(received, total);
        client.close();
      },
    );

    it(
      "finish() closes rfile and wfile but not the socket",
      LIMIT,
      async () => {
        let socketOpen = false;
        class Files extends StreamRequestHandler {
          override async finish() {
            await super.finish();
            assert.equal(this.rfile.closed, true);
            assert.equal(this.wfile.closed, true);
            socketOpen = !this.connection.closed;
          }
        }
        await using server = new TCPServer(LOCAL, Files, options);
        await server.ready();
        const handled = server.handleRequest();
        await exchange(server.serverAddress.port, "");
        await handled;
        assert.equal(socketOpen, true);
      },
    );
  });
}
