// UnixStreamServer and UnixDatagramServer: test_socketserver's
// test_UnixStreamServer and test_UnixDatagramServer, and the checklist's Unix
// cases (15, 84-89): echo, the socket file's life, stale files, long paths,
// the file's mode, abstract names.

import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { describe, it } from "./_testing.ts";
import {
  type DatagramRequest,
  DatagramRequestHandler,
  NotSupportedError,
  SocketError,
  type UnixAddress,
  UnixDatagramServer,
  UnixStreamServer,
} from "../mod.ts";
import {
  collectingErrors,
  denoUnixDatagram,
  DRIVERS,
  LIMIT,
  LineEcho,
  RUNTIME,
  staleSocket,
  tempDir,
  unixExchange,
} from "./_helpers.ts";

for (const driver of DRIVERS) {
  describe(`UnixStreamServer [${driver.name} driver on ${RUNTIME}]`, () => {
    it("echoes a line; serverAddress is the path", LIMIT, async () => {
      const dir = tempDir();
      const path = `${dir.path}/echo.sock`;
      let client: UnixAddress | undefined;
      class Echo extends LineEcho {
        override handle() {
          client = this.clientAddress as unknown as UnixAddress;
          return super.handle();
        }
      }
      try {
        await using server = new UnixStreamServer({ path }, Echo, { driver });
        await server.ready();
        assert.deepEqual(server.serverAddress, { path });
        assert.equal(server.addressFamily, "AF_UNIX");
        const serving = server.serveForever({ pollInterval: 10 });
        assert.equal(await unixExchange(path, "hello\n"), "hello\n");
        // An unnamed client: the path is empty (Python: '').
        assert.deepEqual(client, { path: "" });
        await server.shutdown();
        await serving;
      } finally {
        dir.remove();
      }
    });

    it(
      "removes the socket file on serverClose, so the path can be reused",
      LIMIT,
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/s.sock`;
        try {
          const server = new UnixStreamServer({ path }, LineEcho, { driver });
          await server.ready();
          assert.ok(lstatSync(path).isSocket());
          await server.serverClose();
          assert.equal(existsSync(path), false);
          await using again = new UnixStreamServer({ path }, LineEcho, {
            driver,
          });
          await again.ready();
        } finally {
          dir.remove();
        }
      },
    );

    it("gives the socket file the mode the umask allows", LIMIT, async () => {
      const dir = tempDir();
      const path = `${dir.path}/m.sock`;
      // A new directory is made 0o777 minus the umask, as a socket file is.
      mkdirSync(`${dir.path}/probe`);
      const expected = lstatSync(`${dir.path}/probe`).mode & 0o777;
      try {
        await using server = new UnixStreamServer({ path }, LineEcho, {
          driver,
        });
        await server.ready();
        const stat = lstatSync(path);
        assert.ok(stat.isSocket());
        assert.equal(stat.mode & 0o777, expected);
      } finally {
        dir.remove();
      }
    });

    for (const mode of [0o600, 0o660, 0o777]) {
      it(
        `gives the socket file mode ${mode.toString(8)} when asked`,
        LIMIT,
        async () => {
          const dir = tempDir();
          const path = `${dir.path}/m.sock`;
          try {
            await using server = new UnixStreamServer({ path }, LineEcho, {
              driver,
              mode,
            });
            await server.ready();
            const stat = lstatSync(path);
            assert.ok(stat.isSocket());
            assert.equal(stat.mode & 0o777, mode);
            const handled = server.handleRequest();
            assert.equal(
              await unixExchange(path, "still serves\n"),
              "still serves\n",
            );
            await handled;
          } finally {
            dir.remove();
          }
        },
      );
    }

    it(
      "replaces a stale socket file left by a crashed run",
      LIMIT,
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/stale.sock`;
        try {
          await staleSocket(dir.path, path);
          assert.ok(lstatSync(path).isSocket());

          await using server = new UnixStreamServer({ path }, LineEcho, {
            driver,
          });
          await server.ready();
          const serving = server.serveForever({ pollInterval: 10 });
          assert.equal(await unixExchange(path, "fresh\n"), "fresh\n");
          await server.shutdown();
          await serving;
        } finally {
          dir.remove();
        }
      },
    );

    it(
      "never removes a regular file or a live socket at its path",
      LIMIT,
      async () => {
        const dir = tempDir();
        const file = `${dir.path}/data.txt`;
        const live = `${dir.path}/live.sock`;
        try {
          writeFileSync(file, "keep me");
          const onFile = new UnixStreamServer({ path: file }, LineEcho, {
            driver,
          });
          await assert.rejects(
            onFile.ready(),
            (e: SocketError) =>
              e instanceof SocketError && e.code === "EADDRINUSE",
          );
          assert.equal(readFileSync(file, "utf8"), "keep me");

          await using first = new UnixStreamServer({ path: live }, LineEcho, {
            driver,
          });
          await first.ready();
          const second = new UnixStreamServer({ path: live }, LineEcho, {
            driver,
          });
          await assert.rejects(
            second.ready(),
            (e: SocketError) => e.code === "EADDRINUSE",
          );
          const serving = first.serveForever({ pollInterval: 10 });
          assert.equal(await unixExchange(live, "still\n"), "still\n");
          await first.shutdown();
          await serving;
        } finally {
          dir.remove();
        }
      },
    );

    it("serves an abstract name (Linux)", LIMIT, async () => {
      const path = `\0socketserver-test-${process.pid}-${driver.name}`;
      await using server = new UnixStreamServer({ path }, LineEcho, { driver });
      await server.ready();
      assert.equal(server.serverAddress.path, path);
      const serving = server.serveForever({ pollInterval: 10 });
      assert.equal(await unixExchange(path, "abstract\n"), "abstract\n");
      await server.shutdown();
      await serving;
    });

    it(
      "ignores allowReusePort, as Python 3.12+ does for AF_UNIX",
      LIMIT,
      async () => {
        const dir = tempDir();
        try {
          const server = new UnixStreamServer(
            { path: `${dir.path}/r.sock` },
            LineEcho,
            { driver, bindAndActivate: false },
          );
          server.allowReusePort = true;
          await server.serverBind();
          server.serverActivate();
          await server.serverClose();
        } finally {
          dir.remove();
        }
      },
    );
  });
}

describe(`Unix addresses are checked before any socket opens [${RUNTIME}]`, () => {
  it("rejects a path longer than 107 bytes with a clear error", () => {
    const path = `/tmp/${"x".repeat(103)}`; // 108 bytes
    assert.throws(
      () => new UnixStreamServer({ path }, LineEcho),
      (e: Error) => e instanceof RangeError && /at most 107/.test(e.message),
    );
    assert.equal(existsSync(path), false);
    // 107 bytes is allowed by the check.
    new UnixStreamServer({ path: path.slice(0, -1) }, LineEcho, {
      bindAndActivate: false,
    }).serverClose();
  });

  it("rejects a bad mode before any socket opens", () => {
    const dir = tempDir();
    try {
      const path = `${dir.path}/m.sock`;
      for (
        const [mode, type] of [[0o1777, RangeError], [-1, RangeError], [
          1.5,
          RangeError,
        ], ["0660", TypeError]] as const
      ) {
        assert.throws(
          // @ts-expect-error: a string mode is a type error too
          () => new UnixStreamServer({ path }, LineEcho, { mode }),
          (e: Error) => e instanceof type && /mode/.test(e.message),
        );
      }
      assert.throws(
        () =>
          new UnixStreamServer({ path: "\0abstract" }, LineEcho, {
            mode: 0o600,
          }),
        (e: Error) => e instanceof TypeError && /abstract/.test(e.message),
      );
      assert.equal(existsSync(path), false);
    } finally {
      dir.remove();
    }
  });

  it("rejects an empty path, a NUL inside a path, and a string address", () => {
    assert.throws(
      () => new UnixStreamServer({ path: "" }, LineEcho),
      TypeError,
    );
    assert.throws(
      () => new UnixStreamServer({ path: "/tmp/a\0b" }, LineEcho),
      TypeError,
    );
    assert.throws(
      // @ts-expect-error: Python passes the bare path; here it is { path }
      () => new UnixStreamServer("/tmp/x.sock", LineEcho),
      TypeError,
    );
  });
});

class DatagramEcho extends DatagramRequestHandler<unknown, UnixAddress> {
  override async handle(): Promise<void> {
    await this.wfile.write(this.packet);
  }
}

for (const driver of DRIVERS) {
  const why = driver.unsupported("unixDatagram");
  describe(`UnixDatagramServer [${driver.name} driver on ${RUNTIME}]`, () => {
    if (why !== undefined) {
      it("throws NotSupportedError naming the alternatives", () => {
        const dir = tempDir();
        try {
          const path = `${dir.path}/d.sock`;
          assert.throws(
            () => new UnixDatagramServer({ path }, DatagramEcho, { driver }),
            (e: Error) =>
              e instanceof NotSupportedError &&
              /UnixStreamServer/.test(e.message),
          );
          assert.equal(existsSync(path), false);
        } finally {
          dir.remove();
        }
      });
      return;
    }

    it("gives the socket file the mode option's bits", LIMIT, async () => {
      const dir = tempDir();
      const path = `${dir.path}/m.sock`;
      try {
        await using server = new UnixDatagramServer({ path }, DatagramEcho, {
          driver,
          mode: 0o640,
        });
        await server.ready();
        assert.equal(lstatSync(path).mode & 0o777, 0o640);
      } finally {
        dir.remove();
      }
    });

    it(
      "answers a sender that bound a path; clientAddress is that path",
      LIMIT,
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/server.sock`;
        const clientPath = `${dir.path}/client.sock`;
        let seen: UnixAddress | undefined;
        class Echo extends DatagramEcho {
          override handle() {
            seen = this.clientAddress;
            return super.handle();
          }
        }
        try {
          await using server = new UnixDatagramServer({ path }, Echo, {
            driver,
          });
          await server.ready();
          assert.deepEqual(server.serverAddress, { path });
          assert.equal(server.addressFamily, "AF_UNIX");
          const client = denoUnixDatagram(clientPath);
          try {
            await client.send(new TextEncoder().encode("hi"), {
              transport: "unixpacket",
              path,
            });
            await server.handleRequest();
            const [reply] = await client.receive();
            assert.equal(new TextDecoder().decode(reply), "hi");
            assert.deepEqual(seen, { path: clientPath });
          } finally {
            client.close();
          }
          await server.serverClose();
          // Deno leaves datagram socket files behind; the server removes its own.
          assert.equal(existsSync(path), false);
        } finally {
          dir.remove();
        }
      },
    );

    it(
      "reports a reply to an unnamed sender as EDESTADDRREQ",
      LIMIT,
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/server.sock`;
        const errors: unknown[] = [];
        const Quiet = collectingErrors(UnixDatagramServer, errors);
        // Deno autobinds every sender, so the unnamed case is built here.
        const toNobody = (request: DatagramRequest<UnixAddress>) =>
          request[1].sendto("lost", { path: "" });
        try {
          await using server = new Quiet({ path }, toNobody, { driver });
          await server.ready();
          const client = denoUnixDatagram(`${dir.path}/client.sock`);
          try {
            await client.send(new Uint8Array(1), {
              transport: "unixpacket",
              path,
            });
            await server.handleRequest();
          } finally {
            client.close();
          }
          assert.equal((errors[0] as SocketError).code, "EDESTADDRREQ");
        } finally {
          dir.remove();
        }
      },
    );
  });
}
