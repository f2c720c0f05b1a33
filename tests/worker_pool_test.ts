// ThreadingMixIn and ForkingMixIn: handlers in a pool of worker threads or
// child processes. The checklist's threading cases (90-96) and the forking
// ones that apply to a pool (97, 98, 102), plus crashes, hangs and load
// errors. Each runs with threads and with processes.

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import {
  ForkingMixIn,
  ForkingTCPServer,
  ForkingUDPServer,
  ForkingUnixStreamServer,
  StreamRequestHandler,
  TCPServer,
  ThreadingMixIn,
  ThreadingTCPServer,
  ThreadingUDPServer,
  ThreadingUnixStreamServer,
  WorkerError,
} from "../mod.ts";
import {
  Commands,
  HiddenHandler,
  NoModule,
  served,
  UpperDatagram,
} from "./_pool_handlers.ts";
import {
  Client,
  connectUnix,
  exchange,
  LOCAL,
  RUNTIME,
  settlesWithin,
  tempDir,
  UdpClient,
  until,
} from "./_helpers.ts";

/** Worker start-up (a runtime per child) takes longer than a socket test. */
const LIMIT = { timeout: 30_000 };

const KINDS = [
  {
    kind: "threads",
    Mix: ThreadingMixIn,
    TCP: ThreadingTCPServer,
    UDP: ThreadingUDPServer,
    Unix: ThreadingUnixStreamServer,
  },
  {
    kind: "processes",
    Mix: ForkingMixIn,
    TCP: ForkingTCPServer,
    UDP: ForkingUDPServer,
    Unix: ForkingUnixStreamServer,
  },
] as const;

type Errors = { address: unknown; error: unknown }[];

/** Sets the pool size: `poolSize` for threads, `maxChildren` for processes. */
function sized<S extends object>(server: S, size: number): S {
  const knobs = server as { poolSize?: number; maxChildren?: number };
  if ("maxChildren" in server) knobs.maxChildren = size;
  else knobs.poolSize = size;
  return server;
}

/** Python's `active_children`: ForkingMixIn's; empty for threads. */
function children(server: object): ReadonlySet<number> {
  return (server as { activeChildren?: ReadonlySet<number> }).activeChildren ??
    new Set();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const { kind, Mix, TCP, UDP, Unix } of KINDS) {
  describe(`${Mix.name} [${kind} on ${RUNTIME}]`, () => {
    // One type for both mix-ins, so the cases below are written once.
    const Pooled = (Mix as typeof ThreadingMixIn)(TCPServer);
    class Server extends Pooled {
      errors: Errors = [];
      override handleError(_r: unknown, address: unknown, error: unknown) {
        this.errors.push({ address, error });
      }
    }
    const start = async (
      size = 2,
      configure: (server: Server) => void = () => {},
    ) => {
      const server = sized(new Server(LOCAL, Commands), size);
      configure(server);
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const port = server.serverAddress.port;
      return { server, serving, port };
    };

    it(
      "answers a second client while the first one's handler computes for 300 ms",
      LIMIT,
      async () => {
        const { server, serving, port } = await start();
        const first = await Client.connect(port);
        await first.write("spin 300\n");
        assert.equal(await first.readUntil("started\n"), "started\n");
        assert.equal(await exchange(port, "ping\n"), "echo ping\n");
        // The answer came while the first handler was still computing.
        assert.equal(first.received, "started\n");
        assert.equal(await first.readAll(), "started\ndone\n");
        first.close();
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    );

    it("spreads concurrent clients over the workers", LIMIT, async () => {
      const { server, serving, port } = await start();
      const a = await Client.connect(port);
      const b = await Client.connect(port);
      await a.write("wait\n");
      await b.write("wait\n");
      const ids = [
        await a.readUntil("\n"),
        await b.readUntil("\n"),
      ].sort();
      assert.deepEqual(ids, ["waiting 1\n", "waiting 2\n"]);
      await a.write("go\n");
      await b.write("go\n");
      assert.match(await a.readAll(), /went\n$/);
      assert.match(await b.readAll(), /went\n$/);
      a.close();
      b.close();
      await server.shutdown();
      await serving;
      await server.serverClose();
    });

    it(
      "gives handlers the address, workerData and their own process",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1, (s) => {
          s.workerData = { greeting: "hi" };
        });
        const [id, data, seenPort, pid] = (await exchange(port, "who\n"))
          .trim().split(" ");
        assert.equal(id, "1");
        assert.equal(data, '{"greeting":"hi"}');
        assert.equal(Number(seenPort), port);
        if (kind === "processes") {
          assert.notEqual(Number(pid), process.pid);
          assert.deepEqual([...children(server)], [Number(pid)]);
        } else {
          assert.equal(Number(pid), process.pid);
          assert.equal(children(server).size, 0);
        }
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    );

    it(
      "reports a handler's error through handleError and keeps serving",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1);
        assert.equal(await exchange(port, "throw\n"), "");
        assert.equal(server.errors.length, 1);
        const { error, address } = server.errors[0];
        assert.ok(error instanceof Error);
        assert.equal(error.name, "RangeError");
        assert.equal(error.message, "boom in a worker");
        assert.match(String(error.stack), /_pool_handlers/);
        assert.equal((address as { hostname: string }).hostname, "127.0.0.1");
        assert.equal(await exchange(port, "x\n"), "echo x\n");
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    );

    it(
      "replaces a worker that crashes, closing its connections",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1);
        const bystander = await Client.connect(port);
        await bystander.write("wait\n");
        await bystander.readUntil("\n");
        assert.equal(await exchange(port, "crash\n"), "");
        // The other request on that worker ends too: its connection closes.
        assert.ok(await bystander.closedWithin(5000));
        bystander.close();
        // Connections a worker took over close with it, before the server
        // learns of its death; relayed ones once the server knows.
        assert.ok(await until(() => server.errors.length >= 2));
        assert.equal(server.errors.length, 2);
        for (const { error } of server.errors) {
          assert.ok(error instanceof WorkerError, String(error));
          assert.match(error.message, /uncaught in a worker|exited/);
        }
        // A new worker (number 2) serves the next client.
        assert.match(await exchange(port, "who\n"), /^2 /);
        assert.equal(server.activeWorkers, 1);
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    );

    it(
      "stops a worker that runs past handlerTimeout and serves on",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1, (s) => {
          s.handlerTimeout = 300;
        });
        assert.equal(await exchange(port, "hang\n"), "");
        assert.equal(server.errors.length, 1);
        const { error } = server.errors[0];
        assert.ok(error instanceof WorkerError);
        assert.match(error.message, /handlerTimeout \(300 ms\)/);
        assert.match(await exchange(port, "who\n"), /^2 /);
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    );

    it(
      "lets a handler call server.shutdown() (checklist 44)",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1);
        assert.equal(await exchange(port, "stop\n"), "stopped\n");
        assert.ok(await settlesWithin(serving, 5000));
        await server.serverClose();
      },
    );

    it(
      "serverClose() waits for running handlers, then every worker is gone (checklist 91, 98)",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(2);
        const pids = [...children(server)];
        const clients = await Promise.all(
          [1, 2, 3].map(() => Client.connect(port)),
        );
        for (const client of clients) {
          await client.write("wait\n");
          await client.readUntil("\n");
        }
        await server.shutdown();
        await serving;
        const closing = server.serverClose();
        assert.equal(await settlesWithin(closing, 300), false);
        assert.equal(server.activeWorkers, 2);
        for (const client of clients) await client.write("go\n");
        for (const client of clients) {
          assert.match(await client.readAll(), /went\n$/);
          client.close();
        }
        await closing;
        assert.equal(server.activeWorkers, 0);
        assert.equal(children(server).size, 0);
        assert.equal(server.activeConnections, 0);
        for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid}`);
      },
    );

    it(
      "blockOnClose = false: serverClose() returns at once, handlers still reply (checklist 92)",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1, (s) => {
          s.blockOnClose = false;
        });
        const client = await Client.connect(port);
        await client.write("wait\n");
        await client.readUntil("\n");
        await server.shutdown();
        await serving;
        assert.ok(await settlesWithin(server.serverClose(), 2000));
        await client.write("go\n");
        assert.match(await client.readAll(), /went\n$/);
        client.close();
        assert.ok(await until(() => server.activeWorkers === 0));
      },
    );

    it(
      "closes at once a server that never served (checklist 95)",
      LIMIT,
      async () => {
        const server = sized(new Server(LOCAL, Commands), 1);
        await server.ready();
        await server.serverClose();
        assert.equal(server.activeWorkers, 0);
        // And one that was never even activated.
        const idle = new Server(LOCAL, Commands, { bindAndActivate: false });
        await idle.serverClose();
      },
    );

    it(
      "tracks only running requests (checklist 94)",
      LIMIT,
      async () => {
        const { server, serving, port } = await start(1);
        for (let i = 0; i < 10; i++) {
          assert.equal(await exchange(port, `n${i}\n`), `echo n${i}\n`);
        }
        assert.ok(await until(() => server.activeConnections === 0));
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    );

    it("relays large streams both ways with back-pressure", LIMIT, async () => {
      const { server, serving, port } = await start(1);
      const client = await Client.connect(port);
      const payload = new Uint8Array(4 << 20).map((_, i) => i % 251);
      await client.write("big\n");
      await client.write(payload);
      client.end();
      const reply = await client.readAllBytes(20_000);
      assert.equal(reply.length, payload.length);
      assert.deepEqual(reply, payload);
      client.close();
      await server.shutdown();
      await serving;
      await server.serverClose();
    });

    it("serves UDP in workers (checklist 83)", LIMIT, async () => {
      const server = sized(new UDP(LOCAL, UpperDatagram), 2);
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const clients = await Promise.all([1, 2, 3].map(() => UdpClient.open()));
      await Promise.all(
        clients.map((c, i) => c.send(`dg${i}`, server.serverAddress.port)),
      );
      for (const [i, client] of clients.entries()) {
        const reply = await client.receiveText();
        assert.match(reply, new RegExp(`^[12] DG${i}$`));
        client.close();
      }
      await server.shutdown();
      await serving;
      await server.serverClose();
    });

    it("serves a Unix stream socket in workers", LIMIT, async () => {
      const dir = tempDir();
      try {
        const server = sized(
          new Unix({ path: `${dir.path}/s.sock` }, Commands),
          1,
        );
        await server.ready();
        const serving = server.serveForever({ pollInterval: 10 });
        const client = await connectUnix(`${dir.path}/s.sock`);
        await client.write("hello\n");
        client.end();
        assert.equal(await client.readAll(), "echo hello\n");
        client.close();
        await server.shutdown();
        await serving;
        await server.serverClose();
      } finally {
        dir.remove();
      }
    });

    it(
      "refuses a handler workers cannot load, before or at activation",
      LIMIT,
      async () => {
        assert.throws(
          () => new TCP(LOCAL, NoModule),
          (error: Error) =>
            error instanceof TypeError &&
            /static module = import\.meta\.url/.test(error.message),
        );
        assert.throws(() => new TCP(LOCAL, () => {}), TypeError);
        const server = sized(new TCP(LOCAL, HiddenHandler), 1);
        await assert.rejects(
          server.ready(),
          (error: Error) =>
            error instanceof WorkerError &&
            /no export named Hidden/.test(error.message),
        );
        assert.equal(server.closed, true);
        assert.equal(server.activeWorkers, 0);
        // A module workers cannot import: the error names the export too.
        class Unreachable extends StreamRequestHandler {
          static module = new URL("./_no_such_module.ts", import.meta.url).href;
        }
        const lost = sized(new TCP(LOCAL, Unreachable), 1);
        await assert.rejects(
          lost.ready(),
          (error: Error) =>
            error instanceof WorkerError &&
            /cannot import Unreachable from \S+_no_such_module\.ts/.test(
              error.message,
            ),
        );
      },
    );

    it("rejects a bad pool size or handlerTimeout", LIMIT, async () => {
      const server = sized(new TCP(LOCAL, Commands), 0);
      await assert.rejects(server.ready(), RangeError);
      const timed = new TCP(LOCAL, Commands);
      timed.handlerTimeout = -1;
      await assert.rejects(timed.ready(), RangeError);
    });
  });
}

describe(`TCPServer with a computing handler [${RUNTIME}]`, () => {
  it(
    "answers the second client only after the first one's 300 ms",
    LIMIT,
    async () => {
      await using server = new TCPServer(LOCAL, Commands);
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const port = server.serverAddress.port;
      served.length = 0;
      const first = await Client.connect(port);
      await first.write("spin 300\n");
      assert.equal(await exchange(port, "ping\n"), "echo ping\n");
      // One thread: the second handler ran after the first had finished.
      assert.deepEqual(served, ["spin started", "spin done", "echo ping"]);
      assert.equal(await first.readAll(), "started\ndone\n");
      first.close();
      await server.shutdown();
      await serving;
    },
  );
});
