// Unix socket files attacked: a socket file is known by what it is (device
// and inode), not by its path's spelling. A second server spelling the path
// differently cannot take over a live one; two servers started together on
// a stale file cannot both bind; closing leaves a file that replaced the
// socket; and `mode` cannot be turned onto another file through a symlink
// swapped in by another user.

import assert from "node:assert/strict";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { relative } from "node:path";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import { Worker } from "node:worker_threads";
import { SocketError, UnixStreamServer } from "../mod.ts";
import {
  DRIVERS,
  LIMIT,
  LineEcho,
  RUNTIME,
  staleSocket,
  tempDir,
  unixExchange,
} from "./_helpers.ts";
import { lines, startUnprivileged, unprivilegedSkip } from "./_unprivileged.ts";

const inUse = (e: SocketError) =>
  e instanceof SocketError && e.code === "EADDRINUSE";

for (const driver of DRIVERS) {
  describe(`Unix socket files attacked [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "a live server's file is not taken over through another spelling of its path",
      LIMIT,
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/live.sock`;
        symlinkSync(dir.path, `${dir.path}/link`);
        try {
          await using server = new UnixStreamServer({ path }, LineEcho, {
            driver,
          });
          await server.ready();
          const serving = server.serveForever({ pollInterval: 10 });
          const spellings = [
            `${dir.path}/./live.sock`,
            `${dir.path}//live.sock`,
            `${dir.path}/link/live.sock`,
            relative(process.cwd(), path),
          ];
          for (const spelling of spellings) {
            const second = new UnixStreamServer(
              { path: spelling },
              LineEcho,
              { driver },
            );
            await assert.rejects(second.ready(), inUse, spelling);
            await second.serverClose();
            assert.equal(await unixExchange(path, "mine\n"), "mine\n");
          }
          await server.shutdown();
          await serving;
        } finally {
          dir.remove();
        }
      },
    );

    it(
      "two servers started together on a stale file: exactly one binds",
      { timeout: 30_000 },
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/stale.sock`;
        try {
          for (let run = 0; run < 15; run++) {
            await staleSocket(dir.path, path);
            const servers = [0, 1].map(() =>
              new UnixStreamServer({ path }, LineEcho, { driver })
            );
            const results = await Promise.allSettled(
              servers.map((server) => server.ready()),
            );
            const bound = results.filter((r) => r.status === "fulfilled");
            for (const result of results) {
              if (result.status === "rejected") {
                assert.ok(inUse(result.reason), String(result.reason));
              }
            }
            assert.equal(bound.length, 1, `run ${run}: ${bound.length} bound`);
            const winner = servers[results.indexOf(bound[0])];
            const serving = winner.serveForever({ pollInterval: 10 });
            assert.equal(await unixExchange(path, "one\n"), "one\n");
            await winner.shutdown();
            await serving;
            for (const server of servers) await server.serverClose();
          }
        } finally {
          dir.remove();
        }
      },
    );

    it(
      "closing leaves a file that replaced the socket, and removes its own",
      LIMIT,
      async () => {
        const dir = tempDir();
        const path = `${dir.path}/s.sock`;
        try {
          const replaced = new UnixStreamServer({ path }, LineEcho, {
            driver,
          });
          await replaced.ready();
          unlinkSync(path);
          writeFileSync(path, "precious");
          await replaced.serverClose();
          assert.equal(readFileSync(path, "utf8"), "precious");
          unlinkSync(path);

          const own = new UnixStreamServer({ path }, LineEcho, { driver });
          await own.ready();
          assert.ok(lstatSync(path).isSocket());
          await own.serverClose();
          assert.throws(() => lstatSync(path), { code: "ENOENT" });
        } finally {
          dir.remove();
        }
      },
    );

    it(
      "mode cannot be turned onto another file by a symlink swapped in by another user",
      { timeout: 60_000, ...unprivilegedSkip() },
      async () => {
        const dir = tempDir();
        // A directory every user may write to, without the sticky bit.
        const shared = `${dir.path}/shared`;
        mkdirSync(shared);
        chmodSync(shared, 0o777);
        chmodSync(dir.path, 0o755);
        const target = `${dir.path}/secret`;
        writeFileSync(target, "root only");
        chmodSync(target, 0o600);
        const path = `${shared}/s.sock`;
        const { child: attacker, cleanup } = startUnprivileged(
          "_swap_attacker.mjs",
          [path, target],
        );
        const next = lines(attacker);
        let bound = 0;
        try {
          assert.equal(await next(), "swapping");
          for (let attempt = 0; attempt < 2000 && bound < 10; attempt++) {
            const server = new UnixStreamServer({ path }, LineEcho, {
              driver,
              mode: 0o666,
            });
            try {
              await server.ready();
              bound++;
            } catch (error) {
              assert.ok(inUse(error as SocketError), String(error));
            } finally {
              await server.serverClose();
            }
          }
        } finally {
          attacker.stdin!.end();
        }
        const swaps = Number(await next());
        cleanup();
        try {
          assert.ok(bound >= 1, `the server bound ${bound} times`);
          assert.ok(swaps > 0, "the attacker swapped");
          assert.equal(lstatSync(target).mode & 0o777, 0o600);
          assert.equal(readFileSync(target, "utf8"), "root only");
        } finally {
          dir.remove();
        }
      },
    );
  });
}

describe(`The mode option in a worker thread [${RUNTIME}]`, () => {
  it(
    "is refused before any socket opens: a worker cannot set the umask",
    LIMIT,
    async () => {
      const dir = tempDir();
      const path = `${dir.path}/w.sock`;
      try {
        const worker = new Worker(
          new URL("./_unix_mode_worker.ts", import.meta.url),
          { workerData: { path } },
        );
        const result = await new Promise((resolve, reject) => {
          worker.once("message", resolve);
          worker.once("error", reject);
        });
        await worker.terminate();
        assert.deepEqual(result, { error: "NotSupportedError", exists: false });
      } finally {
        dir.remove();
      }
    },
  );
});
