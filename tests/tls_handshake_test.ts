// TLS handshakes attacked: clients that connect and close at once (a load
// balancer's TCP check), clients that stay silent or stall mid-ClientHello,
// and a flood of them against maxHandshakes. Every unfinished handshake is
// closed, at once or at tls.handshakeTimeout, and real clients are served.

import assert from "node:assert/strict";
import { before, describe, it } from "./_testing.ts";
import * as net from "node:net";
import * as tls from "node:tls";
import { TCPServer, UnixStreamServer } from "../mod.ts";
import {
  Client,
  DRIVERS,
  fdCount,
  LineEcho,
  LOCAL,
  makeCertificate,
  RUNTIME,
  sleep,
  tempDir,
} from "./_helpers.ts";

let pem: { cert: string; key: string };
before(() => {
  pem = makeCertificate();
});

/** The first bytes of a TLS ClientHello record, and nothing more. */
const PARTIAL_HELLO = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);

/** A raw TCP client that records when the server closed it. */
function rawClient(target: net.NetConnectOpts): Promise<{
  socket: net.Socket;
  closed: Promise<void>;
}> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(target);
    const closed = new Promise<void>((done) => socket.once("close", done));
    socket.on("error", () => {});
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

/** Resolves how many of `promises` settled within `ms`. */
async function settledWithin(
  promises: Promise<void>[],
  ms: number,
): Promise<number> {
  let settled = 0;
  for (const promise of promises) void promise.then(() => settled++);
  const deadline = Date.now() + ms;
  while (settled < promises.length && Date.now() < deadline) await sleep(20);
  return settled;
}

function echoOverTls(
  target: { port: number; host: string } | { path: string },
): Promise<string> {
  return Client.fromSocket(
    tls.connect({ ...target, ca: pem.cert, servername: "localhost" }),
    "secureConnect",
  ).then(async (client) => {
    try {
      await client.write("real\n");
      return await client.readAll(5000);
    } finally {
      client.close();
    }
  });
}

for (const driver of DRIVERS) {
  describe(`TLS handshakes attacked [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "closes 300 connect-then-close clients at once, not at the timeout",
      { timeout: 30_000 },
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, {
          driver,
          tls: { ...pem, handshakeTimeout: 60_000 },
        });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const before = fdCount();
        const port = server.serverAddress.port;
        for (let i = 0; i < 300; i++) {
          const { socket, closed } = await rawClient({
            port,
            host: "127.0.0.1",
          });
          socket.end();
          void closed;
        }
        // Give the server a moment per side; leaked sockets would stay
        // for the whole minute of handshakeTimeout.
        const deadline = Date.now() + 5000;
        while (fdCount() > before + 5 && Date.now() < deadline) await sleep(50);
        assert.ok(
          fdCount() <= before + 5,
          `descriptors: ${before} before, ${fdCount()} after`,
        );
        assert.equal(
          await echoOverTls({ port, host: "127.0.0.1" }),
          "real\n",
        );
        await server.shutdown();
        await serving;
      },
    );

    it(
      "drops silent and stalled handshakes at handshakeTimeout",
      { timeout: 20_000 },
      async () => {
        await using server = new TCPServer(LOCAL, LineEcho, {
          driver,
          tls: { ...pem, handshakeTimeout: 300 },
        });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const target = { port: server.serverAddress.port, host: "127.0.0.1" };
        const clients = [];
        for (let i = 0; i < 40; i++) {
          const client = await rawClient(target);
          if (i % 2) client.socket.write(PARTIAL_HELLO);
          clients.push(client);
        }
        try {
          const closed = await settledWithin(
            clients.map((c) => c.closed),
            5000,
          );
          assert.equal(closed, 40, `${closed} of 40 closed by the server`);
          assert.equal(await echoOverTls(target), "real\n");
        } finally {
          for (const { socket } of clients) socket.destroy();
          await server.shutdown();
          await serving;
        }
      },
    );

    for (const transport of ["tcp", "unix"] as const) {
      it(
        `maxHandshakes: a flood of silent clients cannot lock out a real one (${transport})`,
        { timeout: 20_000 },
        async () => {
          const dir = tempDir();
          const path = `${dir.path}/tls.sock`;
          const tlsOptions = { ...pem, maxHandshakes: 8 };
          await using server = transport === "tcp"
            ? new TCPServer(LOCAL, LineEcho, { driver, tls: tlsOptions })
            : new UnixStreamServer({ path }, LineEcho, {
              driver,
              tls: tlsOptions,
            });
          await server.ready();
          const serving = server.serveForever({ pollInterval: 10 });
          const address = server.serverAddress as { port?: number };
          const target = transport === "tcp"
            ? { port: address.port!, host: "127.0.0.1" }
            : { path };
          const flood = [];
          for (let i = 0; i < 40; i++) flood.push(await rawClient(target));
          try {
            // The handshake timeout is 10 s: only the bound closes them now.
            const closed = await settledWithin(
              flood.map((c) => c.closed),
              3000,
            );
            assert.ok(closed >= 32, `only ${closed} of 40 dropped`);
            assert.equal(await echoOverTls(target), "real\n");
          } finally {
            for (const { socket } of flood) socket.destroy();
            await server.shutdown();
            await serving;
            dir.remove();
          }
        },
      );
    }
  });
}

describe(`The TLS limits are checked before any socket opens [${RUNTIME}]`, () => {
  it("rejects bad handshakeTimeout and maxHandshakes, and unknown keys", () => {
    for (
      const bad of [
        { handshakeTimeout: 0 },
        { handshakeTimeout: -1 },
        { handshakeTimeout: Infinity },
        { handshakeTimeout: "10s" },
        { maxHandshakes: 0 },
        { maxHandshakes: 1.5 },
      ]
    ) {
      assert.throws(
        () =>
          new TCPServer(LOCAL, LineEcho, { tls: { ...pem, ...bad } as never }),
        RangeError,
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () =>
        new TCPServer(LOCAL, LineEcho, {
          tls: { ...pem, handshakeTimeOut: 5 } as never,
        }),
      /unknown option "handshakeTimeOut"/,
    );
  });
});
