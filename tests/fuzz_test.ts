// Seeded fuzzing: random and truncated byte streams into a line handler,
// random datagrams (empty, binary, past maxPacketSize) into a datagram
// handler. The same seed gives the same bytes on every run and runtime. No
// crash, only the errors a bad client earns, bounded memory, and the server
// answers a normal client afterwards.

import assert from "node:assert/strict";
import * as net from "node:net";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import {
  DatagramRequestHandler,
  EventLoopTCPServer,
  EventLoopUDPServer,
  StreamRequestHandler,
} from "../mod.ts";
import {
  collectingErrors,
  DRIVERS,
  exchange,
  LOCAL,
  RUNTIME,
  seededRandom,
  UdpClient,
} from "./_helpers.ts";

const SEED = 0x5eed;
const STREAMS = 400;
const DATAGRAMS = 2000;
const LINE_LIMIT = 1024;
/** What the fuzzing may add to this process. */
const MEMORY_BOUND = 128 << 20;

/** Random bytes, newlines now and then, sometimes a line past the limit. */
function fuzzBytes(next: () => number): Uint8Array {
  const tooLong = next() < 0.1;
  const length = tooLong
    ? LINE_LIMIT * 2 + Math.floor(next() * 4096)
    : Math.floor(next() * 3000);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const byte = Math.floor(next() * 256);
    if (tooLong) bytes[i] = byte === 10 ? 11 : byte; // one line, no newline
    else bytes[i] = next() < 0.02 ? 10 : byte;
  }
  return bytes;
}

/** Echoes lines of at most LINE_LIMIT bytes until the stream ends. */
class Lines extends StreamRequestHandler {
  override async handle() {
    for (;;) {
      const line = await this.rfile.readline({ limit: LINE_LIMIT });
      if (line.length === 0) return;
      await this.wfile.write(line);
    }
  }
}

/** Sends `bytes` in random pieces, then ends or resets; ignores the reply. */
function fuzzClient(
  port: number,
  bytes: Uint8Array,
  next: () => number,
): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("data", () => {});
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.on("connect", () => {
      // Truncated: a third of the streams stop part-way.
      const end = next() < 0.33
        ? Math.floor(next() * bytes.length)
        : bytes.length;
      for (let at = 0; at < end;) {
        const size = 1 + Math.floor(next() * 700);
        socket.write(bytes.subarray(at, Math.min(end, at + size)));
        at += size;
      }
      if (next() < 0.5) socket.end();
      else socket.resetAndDestroy();
    });
  });
}

/** Answers each datagram with its length, and "hello" with a greeting. */
class Lengths extends DatagramRequestHandler {
  override handle() {
    const text = new TextDecoder().decode(this.packet);
    this.wfile.write(text === "hello" ? "hello back" : `${this.packet.length}`);
  }
}

for (const driver of DRIVERS) {
  describe(`fuzzing [${driver.name} driver on ${RUNTIME}]`, () => {
    it(`${STREAMS} random and truncated streams into a line handler`, {
      timeout: 60_000,
    }, async () => {
      const errors: { code?: string }[] = [];
      const Server = collectingErrors(EventLoopTCPServer, errors);
      await using server = new Server(LOCAL, Lines, { driver });
      await server.ready();
      const serving = server.serveForever();
      const port = server.serverAddress.port;
      const next = seededRandom(SEED);
      const before = process.memoryUsage().rss;
      for (let i = 0; i < STREAMS; i += 50) {
        await Promise.all(
          Array.from(
            { length: 50 },
            () => fuzzClient(port, fuzzBytes(next), next),
          ),
        );
      }
      while (server.activeConnections > 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const grown = process.memoryUsage().rss - before;
      // A line past the limit, or a client gone mid-write: nothing else.
      const codes = new Set(errors.map((error) => error.code));
      for (const code of codes) {
        assert.match(String(code), /^(ERR_LINE_TOO_LONG|E[A-Z]+)$/);
      }
      assert.ok(codes.has("ERR_LINE_TOO_LONG"), "the seed has long lines");
      assert.ok(grown < MEMORY_BOUND, `memory grew by ${grown >> 20} MiB`);
      assert.equal(await exchange(port, "normal\n"), "normal\n");
      await server.shutdown();
      await serving;
    });

    it(`${DATAGRAMS} random datagrams into a datagram handler`, {
      timeout: 60_000,
    }, async () => {
      const errors: unknown[] = [];
      const Server = collectingErrors(EventLoopUDPServer, errors);
      await using server = new Server(LOCAL, Lengths, { driver });
      await server.ready();
      const serving = server.serveForever();
      const port = server.serverAddress.port;
      const client = await UdpClient.open();
      const next = seededRandom(SEED + 1);
      try {
        const before = process.memoryUsage().rss;
        let longest = 0;
        for (let i = 0; i < DATAGRAMS; i++) {
          // Empty, small, and past maxPacketSize (8192), up to 9000 bytes.
          const size = next() < 0.05 ? 0 : Math.floor(next() * 9000);
          longest = Math.max(longest, size);
          const bytes = new Uint8Array(size).map(() => next() * 256);
          await client.send(bytes, port);
          if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5));
        }
        assert.ok(longest > server.maxPacketSize);
        // Drop the replies to the fuzz; then a normal datagram is answered.
        while (await client.receive(300) !== null) { /* drained */ }
        await client.send("hello", port);
        assert.equal(await client.receiveText(), "hello back");
        const grown = process.memoryUsage().rss - before;
        assert.ok(grown < MEMORY_BOUND, `memory grew by ${grown >> 20} MiB`);
        assert.deepEqual(errors, []);
      } finally {
        client.close();
        await server.shutdown();
        await serving;
      }
    });
  });
}
