// TLS on TCPServer and UnixStreamServer, with each runtime's own TLS: a real
// TLS client gets its echo; a plaintext client is dropped and the server
// goes on; the certificate comes from openssl at test time.

import assert from "node:assert/strict";
import { before, describe, it } from "./_testing.ts";
import * as tls from "node:tls";
import { type NetAddress, TCPServer, UnixStreamServer } from "../mod.ts";
import {
  Client,
  DRIVERS,
  LIMIT,
  LineEcho,
  LOCAL,
  makeCertificate,
  RUNTIME,
  tempDir,
} from "./_helpers.ts";

let pem: { cert: string; key: string };
before(() => {
  pem = makeCertificate();
});

/** A TLS client that trusts only the test certificate. */
function connectTls(
  target: { port: number; host: string } | { path: string },
): Promise<Client> {
  return Client.fromSocket(
    tls.connect({ ...target, ca: pem.cert, servername: "localhost" }),
    "secureConnect",
  );
}

/** Collects handleError calls instead of printing them. */
class QuietTLSServer extends TCPServer {
  errors: unknown[] = [];
  override handleError(_request: unknown, _address: unknown, error: unknown) {
    this.errors.push(error);
  }
}

for (const driver of DRIVERS) {
  describe(`TLS [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "serves a TLS client; clientAddress is its TCP address",
      LIMIT,
      async () => {
        let seen: NetAddress | undefined;
        class Echo extends LineEcho {
          override handle() {
            seen = this.clientAddress;
            return super.handle();
          }
        }
        await using server = new TCPServer(LOCAL, Echo, { driver, tls: pem });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await connectTls({
          port: server.serverAddress.port,
          host: "127.0.0.1",
        });
        try {
          assert.equal((client.socket as tls.TLSSocket).authorized, true);
          await client.write("secret\n");
          assert.equal(await client.readAll(), "secret\n");
          assert.equal(seen?.hostname, "127.0.0.1");
          assert.ok(seen!.port > 0);
          // Deno's and Bun's node:tls clients do not report their local port.
          const local = client.socket.localPort;
          if (local !== undefined) assert.equal(seen!.port, local);
        } finally {
          client.close();
          await server.shutdown();
          await serving;
        }
      },
    );

    it(
      "drops a plaintext client without a handler or an error, and goes on",
      LIMIT,
      async () => {
        let handled = 0;
        class Count extends LineEcho {
          override handle() {
            handled++;
            return super.handle();
          }
        }
        await using server = new QuietTLSServer(LOCAL, Count, {
          driver,
          tls: pem,
        });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const plain = await Client.connect(server.serverAddress.port);
        try {
          await plain.write("GET / HTTP/1.0\r\n\r\n");
          assert.ok(await plain.closedWithin(5000), "the server hung up");
          assert.equal(plain.received.includes("GET"), false);
        } finally {
          plain.close();
        }
        const client = await connectTls({
          port: server.serverAddress.port,
          host: "127.0.0.1",
        });
        try {
          await client.write("after\n");
          assert.equal(await client.readAll(), "after\n");
        } finally {
          client.close();
          await server.shutdown();
          await serving;
        }
        assert.equal(handled, 1);
        assert.deepEqual(server.errors, []);
      },
    );

    it("serves TLS on IPv6", LIMIT, async () => {
      await using server = new TCPServer(
        { hostname: "::1", port: 0 },
        LineEcho,
        { driver, tls: pem },
      );
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const client = await connectTls({
        port: server.serverAddress.port,
        host: "::1",
      });
      try {
        await client.write("six\n");
        assert.equal(await client.readAll(), "six\n");
      } finally {
        client.close();
        await server.shutdown();
        await serving;
      }
    });

    it("serves TLS on a Unix socket", LIMIT, async () => {
      const dir = tempDir();
      const path = `${dir.path}/tls.sock`;
      try {
        await using server = new UnixStreamServer({ path }, LineEcho, {
          driver,
          tls: pem,
        });
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await connectTls({ path });
        try {
          await client.write("unix\n");
          assert.equal(await client.readAll(), "unix\n");
        } finally {
          client.close();
          await server.shutdown();
          await serving;
        }
      } finally {
        dir.remove();
      }
    });
  });
}

describe(`The tls option is checked before any socket opens [${RUNTIME}]`, () => {
  it("rejects file names and missing fields", () => {
    assert.throws(
      () =>
        new TCPServer(LOCAL, LineEcho, {
          tls: { cert: "cert.pem", key: "key.pem" },
        }),
      (e: Error) => e instanceof TypeError && /PEM text/.test(e.message),
    );
    assert.throws(
      // @ts-expect-error: key is missing
      () => new TCPServer(LOCAL, LineEcho, { tls: { cert: pem.cert } }),
      TypeError,
    );
  });
});
