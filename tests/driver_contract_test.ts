// The contract every driver keeps (src/transport.ts), checked on the
// drivers themselves, without a server: each runtime's drivers on real
// loopback sockets, and the memory driver, which the core's unit tests
// stand on and which must therefore behave as the real ones do.

import assert from "node:assert/strict";
import {
  type NetAddress,
  NotSupportedError,
  ServerClosedError,
  SocketError,
  type StreamConn,
  type StreamListener,
} from "../mod.ts";
import { existsSync } from "node:fs";
import {
  halfCloseSkip,
  LIMIT,
  makeCertificate,
  settlesWithin,
  sleep,
  tempDir,
  until,
} from "./_helpers.ts";
import { rigs } from "./_rigs.ts";
import { describe, it } from "./_testing.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null) =>
  bytes === null ? null : decoder.decode(bytes);

/** `size` bytes that show any loss or reordering. */
function pattern(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 12)) & 255;
  return bytes;
}

async function readBytes(
  conn: StreamConn<never> | StreamConn<NetAddress>,
  size: number,
): Promise<Uint8Array> {
  const all = new Uint8Array(size);
  let at = 0;
  while (at < size) {
    const chunk = await conn.read();
    if (chunk === null) break;
    all.set(chunk.subarray(0, size - at), at);
    at += chunk.length;
  }
  assert.equal(at, size, "every byte arrived, and no more");
  return all;
}

/** Whether `promise` is still pending after the event loop ran a while. */
async function pending(promise: Promise<unknown>, ms = 300): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await sleep(ms);
  return !settled;
}

const LOCAL = { hostname: "127.0.0.1", port: 0, backlog: 16, reusePort: false };

/** One throwaway certificate for the whole file (openssl is slow). */
let pem: { cert: string; key: string } | undefined;
const certificate = () => pem ??= makeCertificate();

for (const rig of rigs()) {
  const { driver } = rig;

  /** A listener, one client, and the server's end of that client. */
  const pair = async (): Promise<{
    listener: StreamListener<NetAddress>;
    conn: StreamConn<NetAddress>;
    peer: Awaited<ReturnType<typeof rig.connect>>;
    done(): Promise<void>;
  }> => {
    const listener = await driver.listenTcp(LOCAL);
    const peer = await rig.connect(listener.address);
    const conn = await listener.accept();
    return {
      listener,
      conn,
      peer,
      async done() {
        peer.close();
        conn.close();
        await listener.close();
      },
    };
  };

  describe(`The driver contract [${rig.name}]`, LIMIT, () => {
    it("listens on a free port, refuses a taken one, and frees it on close", async () => {
      const listener = await driver.listenTcp(LOCAL);
      const { port } = listener.address;
      assert.ok(port > 0);
      await assert.rejects(
        driver.listenTcp({ ...LOCAL, port }),
        (error) => error instanceof SocketError && error.code === "EADDRINUSE",
      );
      await listener.close();
      const again = await driver.listenTcp({ ...LOCAL, port });
      await again.close();
    });

    it("accepts a client and carries bytes both ways, with both addresses", async () => {
      const { listener, conn, peer, done } = await pair();
      assert.equal(conn.localAddress.port, listener.address.port);
      assert.equal(conn.remoteAddress.hostname, "127.0.0.1");
      assert.ok(conn.remoteAddress.port > 0);
      await peer.write(encoder.encode("ping"));
      assert.equal(text(await conn.read()), "ping");
      await conn.write(encoder.encode("pong"));
      conn.close();
      assert.equal(text(await peer.readAll()), "pong");
      await done();
    });

    it("reads no further ahead than readBufferSize: a flood waits in the client", async () => {
      const { conn, peer, done } = await pair();
      conn.readBufferSize = 4096;
      const size = 32 << 20;
      const sent = pattern(size);
      const writing = peer.write(sent);
      // The client stops making progress once the buffers between are full.
      let last = -1;
      for (let i = 0; i < 50 && peer.unsent() !== last; i++) {
        last = peer.unsent();
        await sleep(100);
      }
      assert.ok(
        peer.unsent() > size / 2,
        `only ${peer.unsent()} of ${size} bytes wait in the client`,
      );
      assert.deepEqual(await readBytes(conn, size), sent);
      await writing;
      await done();
    });

    it("resolves a write only once the network took it, and loses no byte", async () => {
      const { conn, peer, done } = await pair();
      const sent = pattern(32 << 20);
      const writing = conn.write(sent);
      assert.ok(await pending(writing), "a peer that reads nothing holds it");
      conn.close(); // after the write: it lingers until the peer has read it
      const received = await peer.readAll(30_000);
      await writing;
      assert.equal(received.length, sent.length);
      assert.deepEqual(received, sent);
      await done();
    });

    it("delivers a large write to a client already waiting to read", async () => {
      const { conn, peer, done } = await pair();
      const sent = pattern(8 << 20);
      const reading = peer.readAll(30_000);
      await sleep(20);
      await conn.write(sent);
      conn.close();
      assert.deepEqual(await reading, sent);
      await done();
    });

    it("writes in call order when nobody awaits", async () => {
      const { conn, peer, done } = await pair();
      const writes = [];
      let expected = "";
      for (let i = 0; i < 200; i++) {
        expected += `${i},`;
        writes.push(conn.write(encoder.encode(`${i},`)));
      }
      await Promise.all(writes);
      conn.close();
      assert.equal(text(await peer.readAll()), expected);
      await done();
    });

    it("does not hold closeWrite and close for a client that does not read", async () => {
      const { conn, peer, done } = await pair();
      const sent = pattern(32 << 20);
      const writing = conn.write(sent);
      writing.catch(() => {});
      assert.ok(await pending(writing));
      assert.ok(
        await settlesWithin(conn.closeWrite(), 2000),
        "closeWrite waited for the client",
      );
      conn.close(); // lingers: the client may still read it all
      const received = await peer.readAll(30_000);
      assert.deepEqual(received, sent);
      await writing;
      await done();
    });

    it("sends FIN on closeWrite and still reads", async () => {
      const { conn, peer, done } = await pair();
      await conn.write(encoder.encode("bye"));
      await conn.closeWrite();
      assert.equal(text(await peer.readAll()), "bye");
      await peer.write(encoder.encode("after"));
      assert.equal(text(await conn.read()), "after");
      await done();
    });

    it(
      "reads null at the client's FIN, then can still reply",
      halfCloseSkip(driver),
      async () => {
        const { conn, peer, done } = await pair();
        await peer.write(encoder.encode("last"));
        peer.end();
        assert.equal(text(await conn.read()), "last");
        assert.equal(await conn.read(), null);
        await conn.write(encoder.encode("reply"));
        conn.close();
        assert.equal(text(await peer.readAll()), "reply");
        await done();
      },
    );

    it("recv(max) returns at most max bytes, the rest next, and empty bytes at the end", async () => {
      const { conn, peer, done } = await pair();
      assert.ok(conn.recv, "every driver has recv()");
      // Waiting first: the chunk arrives while recv(3) waits.
      const first = conn.recv(3);
      await peer.write(encoder.encode("abcdefgh"));
      assert.equal(text(await first), "abc");
      // Then from what is queued (Bun and Node) or read again (Deno).
      let rest = "";
      while (rest.length < 5) {
        const chunk = await conn.recv(2);
        assert.ok(chunk.length >= 1 && chunk.length <= 2, `${chunk.length}`);
        rest += text(chunk);
      }
      assert.equal(rest, "defgh");
      peer.end();
      assert.deepEqual(await conn.recv(8), new Uint8Array(0));
      assert.deepEqual(await conn.recv(8), new Uint8Array(0), "and again");
      await done();
    });

    for (const call of ["read", "recv"] as const) {
      it(`fails a waiting ${call} with ECONNRESET when the client resets`, async () => {
        const { conn, peer, done } = await pair();
        const reading = call === "read" ? conn.read() : conn.recv!(64);
        await sleep(50);
        peer.reset();
        await assert.rejects(
          reading,
          (error) =>
            error instanceof SocketError && error.code === "ECONNRESET",
        );
        await done();
      });
    }

    it("reports a reset that came while reading was paused as ECONNRESET, not an end", async () => {
      const { conn, peer, done } = await pair();
      conn.readBufferSize = 1024; // the client's 256 KiB pause the reading
      // Not awaited: a paused reader may hold the client's write back.
      peer.write(pattern(256 << 10)).catch(() => {});
      await sleep(100);
      peer.reset();
      await sleep(100);
      // What was queued may come first; then the reset, never null.
      await assert.rejects(
        (async () => {
          for (let i = 0; i < 1000; i++) {
            if (await conn.read() === null) return;
          }
        })(),
        (error) => error instanceof SocketError && error.code === "ECONNRESET",
      );
      await assert.rejects(
        conn.write(encoder.encode("late")),
        (error) =>
          error instanceof SocketError &&
          ["ECONNRESET", "EPIPE"].includes(error.code),
      );
      await done();
    });

    it("resolves a waiting read with null on close", async () => {
      const { conn, done } = await pair();
      const reading = conn.read();
      await sleep(20);
      conn.close();
      assert.equal(await reading, null);
      assert.equal(await conn.read(), null);
      await done();
    });

    it("drops unsent writes on abort and closes the client", async () => {
      const { conn, peer, done } = await pair();
      const writing = conn.write(pattern(32 << 20));
      assert.ok(await pending(writing));
      conn.abort();
      await assert.rejects(writing, SocketError);
      const received = await peer.readAll(10_000);
      assert.ok(received.length < 32 << 20, "the rest never came");
      await done();
    });

    it("fails writes after close with EPIPE, and closes twice without harm", async () => {
      const { conn, done } = await pair();
      conn.close();
      conn.close();
      conn.abort();
      await assert.rejects(
        conn.write(encoder.encode("late")),
        (error) => error instanceof SocketError && error.code === "EPIPE",
      );
      assert.equal(await conn.read(), null);
      await done();
    });

    it("resolves a waiting read with null on abort", async () => {
      const { conn, peer, done } = await pair();
      const reading = conn.read();
      await sleep(20);
      conn.abort();
      assert.equal(await reading, null);
      assert.equal((await peer.readAll()).length, 0);
      await done();
    });

    it(
      "hands out the connections it queued but never gave to accept()",
      driver.name === "deno"
        ? {
          skip: "Deno accepts by pull: the kernel holds what is not accepted",
        }
        : {},
      async () => {
        const listener = await driver.listenTcp(LOCAL);
        const peers = await Promise.all(
          [1, 2, 3].map(() => rig.connect(listener.address)),
        );
        const taken: StreamConn<NetAddress>[] = [];
        await until(() => {
          taken.push(...listener.takeAccepted!());
          return taken.length === 3;
        }, 2000);
        assert.equal(taken.length, 3);
        await listener.close();
        await assert.rejects(listener.accept(), ServerClosedError);
        for (const conn of taken) conn.close();
        for (const peer of peers) peer.close();
      },
    );

    it("listens and connects on IPv6 loopback", async () => {
      const listener = await driver.listenTcp({ ...LOCAL, hostname: "::1" });
      assert.equal(listener.address.hostname, "::1");
      const peer = await rig.connect(listener.address);
      const conn = await listener.accept();
      assert.equal(conn.remoteAddress.hostname, "::1");
      await peer.write(encoder.encode("six"));
      assert.equal(text(await conn.read()), "six");
      conn.setNoDelay(true);
      conn.close();
      peer.close();
      await listener.close();
    });

    it(
      "serves TLS once the handshake is done, and drops a silent client",
      rig.connectTls ? {} : { skip: "the memory driver carries no TLS" },
      async () => {
        const pem = certificate();
        const listener = await driver.listenTcp({
          ...LOCAL,
          tls: { ...pem, handshakeTimeout: 200 },
        });
        const silent = await rig.connect(listener.address);
        const peer = await rig.connectTls!(listener.address, pem.cert);
        const conn = await listener.accept();
        await peer.write(encoder.encode("secret"));
        assert.equal(text(await conn.read()), "secret");
        await conn.write(encoder.encode("reply"));
        await conn.closeWrite();
        assert.equal(text(await peer.readAll()), "reply");
        // The silent client never finished a handshake: dropped, unaccepted.
        assert.equal((await silent.readAll(5000)).length, 0);
        silent.close();
        peer.close();
        conn.close();
        await listener.close();
      },
    );

    it("fails a waiting accept with ServerClosedError on close", async () => {
      const listener = await driver.listenTcp(LOCAL);
      const accepting = listener.accept();
      await sleep(20);
      await listener.close();
      await assert.rejects(accepting, ServerClosedError);
      await assert.rejects(listener.accept(), ServerClosedError);
    });

    it("listens on a Unix path, serves it, and removes it on close", async () => {
      const dir = tempDir();
      const path = `${dir.path}/contract.sock`;
      try {
        const listener = await driver.listenUnix({ path, backlog: 8 });
        assert.deepEqual(listener.address, { path });
        const peer = await rig.connect({ path });
        const conn = await listener.accept();
        await peer.write(encoder.encode("unix"));
        assert.equal(text(await conn.read()), "unix");
        conn.close();
        peer.close();
        await listener.close();
        if (rig.files) {
          assert.ok(await until(() => !existsSync(path), 2000));
        }
        const again = await driver.listenUnix({ path, backlog: 8 });
        await again.close();
      } finally {
        dir.remove();
      }
    });

    it("receives datagrams cut to size, replies, and refuses one too long", async () => {
      const endpoint = await driver.bindUdp({
        hostname: "127.0.0.1",
        port: 0,
        reusePort: false,
      });
      const peer = await rig.udp();
      try {
        assert.ok(endpoint.address.port > 0);
        await peer.send(encoder.encode("0123456789abc"), endpoint.address);
        const got = await endpoint.receive(10);
        assert.equal(text(got.data), "0123456789");
        assert.deepEqual(got.from, peer.address);
        await endpoint.send(encoder.encode("reply"), got.from);
        assert.equal(text(await peer.receive()), "reply");
        await assert.rejects(
          endpoint.send(new Uint8Array(70_000), got.from),
          (error) => error instanceof SocketError && error.code === "EMSGSIZE",
        );
        const receiving = assert.rejects(
          endpoint.receive(10),
          ServerClosedError,
        );
        await endpoint.close();
        await receiving;
      } finally {
        peer.close();
        await endpoint.close();
      }
    });

    it("says what it lacks, and refuses it before any socket", async () => {
      const why = driver.unsupported("unixDatagram");
      if (why === undefined) return;
      assert.equal(typeof why, "string");
      const dir = tempDir();
      try {
        await assert.rejects(
          driver.bindUnixDatagram({ path: `${dir.path}/d.sock` }),
          NotSupportedError,
        );
        assert.ok(!existsSync(`${dir.path}/d.sock`));
      } finally {
        dir.remove();
      }
    });
  });
}
