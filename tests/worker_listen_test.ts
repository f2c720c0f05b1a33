// ThreadingMixIn with listenInThreads and ForkingMixIn with
// listenInChildren: each worker listens on the server's port itself
// (SO_REUSEPORT) and serves its connections' bytes, TLS and the PROXY
// header included, while verifyRequest and maxConnections stay in the
// server's thread. A worker that crashes, hangs or is killed is replaced;
// the port serves on. A Unix server refuses the setting everywhere. UDP:
// worker_udp_listen_test.ts.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import {
  ForkingTCPServer,
  ForkingUnixStreamServer,
  NotSupportedError,
  ThreadingTCPServer,
  ThreadingUnixStreamServer,
  WorkerError,
} from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import { joinPort, otherUserSkip } from "./_unprivileged.ts";
import {
  Client,
  collectingErrors,
  DRIVERS,
  exchange,
  LOCAL,
  makeCertificate,
  RUNTIME,
  sleep,
  tempDir,
  tlsClient,
  tlsInWorker,
  until,
} from "./_helpers.ts";

const LIMIT = { timeout: 30_000 };
const driver = DRIVERS[0];

/** The two pools whose workers can listen on the port themselves. */
const POOLS = [
  {
    workers: "threads",
    setting: "listenInThreads",
    Server: ThreadingTCPServer,
    UnixServer: ThreadingUnixStreamServer,
    skip: driver.unsupported("threadListeners") ??
      driver.unsupported("reusePort"),
  },
  {
    workers: "children",
    setting: "listenInChildren",
    Server: ForkingTCPServer,
    UnixServer: ForkingUnixStreamServer,
    skip: driver.unsupported("reusePort"),
  },
] as const;

type PoolServer = ThreadingTCPServer | ForkingTCPServer;

/** A served pool of `size` workers that listen on the port themselves. */
async function listening<S extends PoolServer>(
  server: S,
  size = 2,
): Promise<S & { stop(): Promise<void> }> {
  if (server instanceof ThreadingTCPServer) {
    server.poolSize = size;
    server.listenInThreads = true;
  } else {
    server.maxChildren = size;
    server.listenInChildren = true;
  }
  await server.ready();
  const loop = server.serveForever({ pollInterval: 10 });
  return Object.assign(server, {
    async stop() {
      await server.shutdown();
      await loop;
    },
  });
}

/**
 * Sends `line` from new clients until one is answered within a second: a
 * replacement listens again, a client the kernel gives a stopped thread
 * that still computes waits (Deno), and one that lands in the queue of a
 * worker being stopped is reset, so the next one tries again.
 */
async function answered(port: number, line: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    let client: Client | undefined;
    try {
      client = await Client.connect(port);
      await client.write(line);
      client.end();
      const reply = await client.readAll(1000);
      if (reply === "") throw new Error("reset before an answer");
      return reply;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    } finally {
      client?.close();
    }
  }
}

/**
 * Asks `held` from a new client, and again (up to 5 times, 20 ms apart)
 * if it is reset unanswered: one the kernel gave a listener as it closed,
 * a dying worker's or the server's own as a worker listens again. A
 * refusal fails at once.
 */
async function notRefused(port: number): Promise<string> {
  for (let attempt = 1;; attempt++) {
    try {
      const reply = await exchange(port, "held\n");
      if (reply !== "" || attempt === 5) return reply;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ECONNREFUSED" || attempt === 5) throw error;
    }
    await sleep(20);
  }
}

/**
 * Joins the listeners on `port` from this process with `SO_REUSEPORT`:
 * it succeeds only if the workers' listeners set it too, which a listener
 * that passes or relays connections does not.
 */
async function joinsPort(port: number): Promise<boolean> {
  try {
    const joined = await driver.listenTcp({
      hostname: LOCAL.hostname,
      port,
      backlog: 1,
      reusePort: true,
    });
    await joined.close();
    return true;
  } catch {
    return false;
  }
}

for (const pool of POOLS) {
  const { Server, workers, skip } = pool;
  const one = workers === "threads" ? "thread" : "child";
  describe(`${pool.setting} [${RUNTIME}]`, () => {
    it(`another local user cannot join the ${workers}' port`, {
      ...LIMIT,
      skip: skip ?? otherUserSkip(),
    }, async () => {
      await using server = await listening(new Server(LOCAL, Commands));
      const port = server.serverAddress.port;
      // The control: the same user may join (what SO_REUSEPORT is for)...
      assert.equal(joinPort("tcp", port, false), "joined");
      // ...and the kernel refuses a socket of any other user.
      assert.equal(joinPort("tcp", port, true), "EADDRINUSE");
      assert.equal(await exchange(port, "held\n"), "own\n");
      await server.stop();
    });

    it(`each ${one} accepts on the port and serves the bytes itself`, {
      ...LIMIT,
      skip,
    }, async () => {
      await using server = await listening(new Server(LOCAL, Commands));
      const port = server.serverAddress.port;
      assert.ok(await joinsPort(port), "the workers listen with SO_REUSEPORT");
      // The server's own socket is gone: no number naming a closed one.
      assert.throws(() => server.fileno(), NotSupportedError);
      assert.equal(await exchange(port, "held\n"), "own\n");
      // The kernel spreads 40 connections over both workers.
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        seen.add((await exchange(port, "who\n")).split(" ")[0]);
      }
      assert.equal(seen.size, 2, `served by ${[...seen]}`);
      await server.stop();
    });

    it(`a ${one} runs the TLS handshake and drops a silent client`, {
      ...LIMIT,
      skip,
    }, async () => {
      const pem = makeCertificate();
      await using server = await listening(
        new Server(LOCAL, Commands, {
          tls: { ...pem, handshakeTimeout: 300 },
        }),
        1,
      );
      await tlsInWorker(server.serverAddress.port, pem.cert);
      await server.stop();
    });

    it(`a ${one} reads the PROXY header`, { ...LIMIT, skip }, async () => {
      await using server = await listening(
        new Server(LOCAL, Commands, { proxyProtocol: true }),
      );
      assert.equal(
        await exchange(
          server.serverAddress.port,
          "PROXY TCP4 192.0.2.7 192.0.2.1 4242 80\r\naddr\n",
        ),
        "192.0.2.7 4242\n",
      );
      await server.stop();
    });

    it("verifyRequest runs in the server's thread and refuses a client", {
      ...LIMIT,
      skip,
    }, async () => {
      const asked: number[] = [];
      let refuse = true;
      // deno-lint-ignore no-explicit-any
      const Picky = class extends (Server as any) {
        verifyRequest(_request: unknown, client: unknown): boolean {
          asked.push((client as { port: number }).port);
          return !refuse;
        }
      } as unknown as typeof Server;
      await using server = await listening(new Picky(LOCAL, Commands));
      const port = server.serverAddress.port;
      const refused = await Client.connect(port);
      const refusedPort = refused.socket.localPort;
      try {
        await refused.write("held\n").catch(() => {});
        assert.equal(await refused.readAll().catch(() => ""), "");
      } finally {
        refused.close();
      }
      assert.equal(asked[0], refusedPort);
      refuse = false;
      assert.equal(await exchange(port, "held\n"), "own\n");
      assert.equal(asked.length, 2);
      await server.stop();
    });

    it(
      "maxConnections holds: a second client is served once the first is done",
      {
        ...LIMIT,
        skip,
      },
      async () => {
        await using server = new Server(LOCAL, Commands);
        server.maxConnections = 1;
        await listening(server);
        const port = server.serverAddress.port;
        const first = await Client.connect(port);
        let second: Client | undefined;
        try {
          await first.write("wait\n");
          assert.match(await first.readUntil("\n"), /^waiting/);
          second = await Client.connect(port);
          await second.write("held\n");
          await sleep(300);
          assert.equal(server.activeConnections, 1);
          await first.write("go\n");
          assert.match(await first.readAll(), /went\n$/);
          assert.equal(await second.readAll(), "own\n");
        } finally {
          first.close();
          second?.close();
        }
        await server.shutdown();
      },
    );

    for (const how of ["crash", "hang", "kill"] as const) {
      if (how === "kill" && workers === "threads") continue;
      it(
        `a ${one} that ${
          { crash: "crashes", hang: "hangs", kill: "is killed (SIGKILL)" }[how]
        } mid-request is reported, replaced, and the port serves on`,
        { ...LIMIT, skip },
        async () => {
          const errors: unknown[] = [];
          // deno-lint-ignore no-explicit-any
          const Collecting = collectingErrors(Server as any, errors);
          await using server = new Collecting(LOCAL, Commands) as PoolServer;
          if (how === "hang") server.handlerTimeout = 300;
          await listening(server, 1);
          const port = server.serverAddress.port;
          const victim = await Client.connect(port);
          try {
            if (how === "kill") {
              await victim.write("wait\n");
              assert.match(await victim.readUntil("\n"), /^waiting/);
              process.kill(
                [...(server as ForkingTCPServer).activeChildren][0],
                "SIGKILL",
              );
            } else await victim.write(`${how}\n`);
            // Deno stops a thread that computes only once it returns: its
            // sockets stay open until then (see the README).
            if (how !== "hang" || RUNTIME !== "deno" || one === "child") {
              // (readAll() repeats what readUntil() saw.)
              const rest = (await victim.readAll()).replace(
                /^waiting \d+\n/,
                "",
              );
              assert.equal(rest, "");
            }
          } finally {
            victim.close();
          }
          assert.ok(await until(() => errors.length > 0, 10_000));
          assert.ok(errors[0] instanceof WorkerError, String(errors[0]));
          // Relayed if the server's own socket took it while none listened.
          assert.match(await answered(port, "held\n"), /^(own|relayed)\n$/);
          assert.equal(server.activeWorkers, 1);
          await server.shutdown();
        },
      );
    }

    it(
      `while its only ${one} is replaced, clients wait instead of being refused`,
      {
        ...LIMIT,
        skip,
      },
      async () => {
        const errors: unknown[] = [];
        // deno-lint-ignore no-explicit-any
        const Collecting = collectingErrors(Server as any, errors);
        await using server = new Collecting(LOCAL, Commands) as PoolServer;
        await listening(server, 1);
        const port = server.serverAddress.port;
        const victim = await Client.connect(port);
        try {
          await victim.write("crash\n");
          assert.ok(await until(() => errors.length > 0, 10_000));
        } finally {
          victim.close();
        }
        // The replacement takes a while to listen: the server's own socket
        // holds the port meanwhile (it refused these before), and what it
        // takes is passed over or relayed to the replacement.
        const replies = await Promise.all(
          Array.from({ length: 5 }, async (_, i) => {
            await sleep(i * 20);
            return await notRefused(port);
          }),
        );
        for (const reply of replies) assert.match(reply, /^(own|relayed)\n$/);
        // Once the replacement listens, the server's own socket is gone; a
        // client the kernel queues on it as it closes is reset, so retried.
        let reply = "";
        for (let i = 0; i < 100 && reply !== "own\n"; i++) {
          if (i > 0) await sleep(50);
          reply = await notRefused(port);
        }
        assert.equal(reply, "own\n");
        await server.shutdown();
      },
    );

    for (const secure of [false, true]) {
      const what = secure ? "TLS client" : "client";
      it(`a ${what} that connects before the workers listen is served`, {
        ...LIMIT,
        skip,
      }, async () => {
        const pem = secure ? makeCertificate() : undefined;
        await using server = new Server(LOCAL, Commands, {
          bindAndActivate: false,
          ...(pem ? { tls: pem } : {}),
        });
        if (server instanceof ThreadingTCPServer) {
          server.listenInThreads = true;
          server.poolSize = 1;
        } else {
          server.listenInChildren = true;
          server.maxChildren = 1;
        }
        await server.serverBind();
        const port = server.serverAddress.port;
        // In the server's own queue before any worker listens (a TLS
        // handshake finishes only where the connection is served).
        const connecting = pem
          ? tlsClient(port, pem.cert)
          : Client.connect(port);
        connecting.catch(() => {}); // awaited below, after activation
        await sleep(100);
        // The server's own socket closes once the workers listen: what
        // waits in its queue is taken first (it was reset before).
        await server.serverActivate();
        const serving = server.serveForever({ pollInterval: 10 });
        const early = await connecting;
        try {
          await early.write("held\n");
          assert.match(await early.readAll(), /^(own|relayed)\n$/);
        } finally {
          early.close();
        }
        await server.shutdown();
        await serving;
      });
    }

    it("a Unix stream server refuses it before serving", LIMIT, async () => {
      const dir = tempDir();
      try {
        const server = new pool.UnixServer({ path: `${dir.path}/s` }, Commands);
        if (server instanceof ThreadingUnixStreamServer) {
          server.listenInThreads = true;
        } else server.listenInChildren = true;
        await assert.rejects(server.ready(), NotSupportedError);
        assert.equal(server.activeWorkers, 0);
        assert.ok(!existsSync(`${dir.path}/s`), "no socket was bound");
      } finally {
        dir.remove();
      }
    });
  });
}
