// ThreadingUDPServer with listenInThreads and ForkingUDPServer with
// listenInChildren: each worker binds the server's UDP port itself
// (SO_REUSEPORT) and replies from its own socket. While serveForever runs
// and no hook must see each datagram, a worker serves what it receives on
// its own and nothing crosses to the server; with verifyRequest overridden
// or a handlerTimeout, the server's loop gets each datagram first.

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import {
  ForkingUDPServer,
  NotSupportedError,
  ThreadingUDPServer,
  ThreadingUnixDatagramServer,
  WorkerError,
} from "../mod.ts";
import { DatagramCommands } from "./_pool_handlers.ts";
import { joinPort, otherUserSkip } from "./_unprivileged.ts";
import {
  collectingErrors,
  DRIVERS,
  LOCAL,
  RUNTIME,
  settlesWithin,
  sleep,
  tempDir,
  UdpClient,
  until,
} from "./_helpers.ts";

const LIMIT = { timeout: 30_000 };
const driver = DRIVERS[0];
const cannotShare = driver.unsupported("udpReusePort");

const POOLS = [
  {
    workers: "threads",
    setting: "listenInThreads",
    Server: ThreadingUDPServer,
    skip: driver.unsupported("threadListeners") ?? cannotShare,
  },
  {
    workers: "children",
    setting: "listenInChildren",
    Server: ForkingUDPServer,
    skip: cannotShare,
  },
] as const;

type PoolServer = ThreadingUDPServer | ForkingUDPServer;

/** Sets the workers to bind the port themselves, `size` of them. */
function listenIn<S extends PoolServer>(server: S, size: number): S {
  if (server instanceof ThreadingUDPServer) {
    server.poolSize = size;
    server.listenInThreads = true;
  } else {
    server.maxChildren = size;
    server.listenInChildren = true;
  }
  return server;
}

/** A served pool of `size` workers that bind the port themselves. */
async function listening<S extends PoolServer>(
  server: S,
  size = 2,
): Promise<S & { stop(): Promise<void> }> {
  await listenIn(server, size).ready();
  const loop = server.serveForever({ pollInterval: 10 });
  return Object.assign(server, {
    async stop() {
      await server.shutdown();
      await loop;
    },
  });
}

/** Sends `text` from a new client and returns the reply, `null` if none. */
async function ask(port: number, text: string, ms = 5000) {
  const client = await UdpClient.open();
  try {
    await client.send(text, port);
    const reply = await client.receive(ms);
    return reply && new TextDecoder().decode(reply);
  } finally {
    client.close();
  }
}

/** Asks `text` from new clients until one is answered (a worker replaced). */
async function answered(port: number, text: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const reply = await ask(port, text, 500);
    if (reply !== null) return reply;
    if (Date.now() > deadline) throw new Error(`no answer to ${text}`);
  }
}

for (const pool of POOLS) {
  const { Server, workers, skip } = pool;
  const one = workers === "threads" ? "thread" : "child";
  describe(`${pool.setting}, UDP [${RUNTIME}]`, () => {
    it(`another local user cannot join the ${workers}' UDP port`, {
      ...LIMIT,
      skip: skip ?? otherUserSkip(),
    }, async () => {
      await using server = await listening(new Server(LOCAL, DatagramCommands));
      const port = server.serverAddress.port;
      // The control: the same user may join (what SO_REUSEPORT is for)...
      assert.equal(joinPort("udp", port, false), "joined");
      // ...and the kernel refuses a socket of any other user, which would
      // otherwise get a share of the clients' datagrams.
      assert.equal(joinPort("udp", port, true), "EADDRINUSE");
      assert.equal(await ask(port, "held"), "own");
      await server.stop();
    });

    it(
      `each ${one} binds the port and serves on its own: the server's loop gets no datagram`,
      {
        ...LIMIT,
        skip,
      },
      async () => {
        let loopGot = 0;
        // deno-lint-ignore no-explicit-any
        const Counting = class extends (Server as any) {
          getRequest() {
            return super.getRequest().then((got: unknown) => {
              loopGot++;
              return got;
            });
          }
        } as unknown as typeof Server;
        await using server = await listening(
          new Counting(LOCAL, DatagramCommands),
        );
        const port = server.serverAddress.port;
        assert.throws(() => server.fileno(), NotSupportedError);
        assert.equal(await ask(port, "held"), "own");
        // What came before the workers heard that the loop runs was held
        // for it; from then on the loop gets nothing.
        loopGot = 0;
        // The kernel hashes 40 clients over both workers' sockets.
        const seen = new Set<string>();
        for (let i = 0; i < 40; i++) {
          seen.add((await ask(port, "who"))!.split(" ")[0]);
        }
        assert.equal(seen.size, 2, `served by ${[...seen]}`);
        assert.equal(loopGot, 0, "no datagram passed the server's thread");
        await server.stop();
      },
    );

    it(
      "verifyRequest runs in the server's thread, which gets each datagram first",
      {
        ...LIMIT,
        skip,
      },
      async () => {
        const asked: number[] = [];
        let refuse = true;
        // deno-lint-ignore no-explicit-any
        const Picky = class extends (Server as any) {
          verifyRequest(request: [Uint8Array], client: { port: number }) {
            asked.push(client.port);
            return !(refuse && new TextDecoder().decode(request[0]) === "hi");
          }
        } as unknown as typeof Server;
        await using server = await listening(
          new Picky(LOCAL, DatagramCommands),
        );
        const port = server.serverAddress.port;
        const client = await UdpClient.open();
        try {
          await client.send("hi", port);
          assert.equal(await client.receive(500), null, "refused: no reply");
          assert.deepEqual(asked, [client.port]);
          refuse = false;
          await client.send("hi", port);
          assert.equal(await client.receiveText(), "HI");
          // The reply still leaves from the worker's own socket.
          await client.send("held", port);
          assert.equal(await client.receiveText(), "own");
        } finally {
          client.close();
        }
        await server.stop();
      },
    );

    it(
      "a handler that throws is reported through handleError with its datagram",
      {
        ...LIMIT,
        skip,
      },
      async () => {
        const reports: [Uint8Array, { port: number }, unknown][] = [];
        // deno-lint-ignore no-explicit-any
        const Reporting = class extends (Server as any) {
          handleError(
            request: [Uint8Array],
            client: { port: number },
            e: unknown,
          ) {
            reports.push([request[0], client, e]);
          }
        } as unknown as typeof Server;
        await using server = await listening(
          new Reporting(LOCAL, DatagramCommands),
          1,
        );
        const port = server.serverAddress.port;
        const client = await UdpClient.open();
        try {
          await client.send("throw", port);
          assert.ok(await until(() => reports.length > 0, 5000));
          const [data, from, error] = reports[0];
          assert.equal(new TextDecoder().decode(data), "throw");
          assert.equal(from.port, client.port);
          assert.ok(error instanceof Error, String(error));
          assert.equal(error.name, "RangeError");
          assert.match(error.message, /boom in a datagram/);
          // finish() ran all the same, as Python's `finally` runs it: it
          // sent what handle() wrote, nothing. Then the worker serves on.
          assert.equal(await client.receiveText(), "");
          await client.send("after", port);
          assert.equal(await client.receiveText(), "AFTER");
        } finally {
          client.close();
        }
        await server.stop();
      },
    );

    it(
      "maxPacketSize cuts what workers receive; an invalid one fails before they start",
      {
        ...LIMIT,
        skip,
      },
      async () => {
        const bad = listenIn(new Server(LOCAL, DatagramCommands), 1);
        bad.maxPacketSize = 0;
        await assert.rejects(bad.ready(), RangeError);
        assert.equal(bad.activeWorkers, 0);
        await bad.serverClose();
        const server = new Server(LOCAL, DatagramCommands);
        server.maxPacketSize = 4;
        await using served = await listening(server, 1);
        // Cut to 4 bytes, as recvfrom cuts it: "abcd" comes back in capitals.
        assert.equal(await ask(served.serverAddress.port, "abcdefgh"), "ABCD");
        await served.stop();
      },
    );

    it("between serveForever loops, a datagram waits for the next loop", {
      ...LIMIT,
      skip,
    }, async () => {
      await using server = await listening(new Server(LOCAL, DatagramCommands));
      const port = server.serverAddress.port;
      assert.equal(await ask(port, "first"), "FIRST");
      await server.stop();
      const client = await UdpClient.open();
      try {
        await client.send("late", port);
        assert.equal(await client.receive(300), null, "not served meanwhile");
        const loop = server.serveForever({ pollInterval: 10 });
        assert.equal(await client.receiveText(), "LATE");
        await server.shutdown();
        await loop;
      } finally {
        client.close();
      }
    });

    it(
      `serverClose waits for a handler a ${one} runs on its own, which can still reply`,
      {
        ...LIMIT,
        skip,
      },
      async () => {
        const server = await listening(new Server(LOCAL, DatagramCommands), 1);
        const client = await UdpClient.open();
        try {
          await client.send("slow", server.serverAddress.port);
          await sleep(100); // the handler runs
          await server.stop();
          await server.serverClose();
          assert.equal(await client.receiveText(2000), "slept");
        } finally {
          client.close();
        }
      },
    );

    it(`serverClose stops waiting for a ${one}'s handler at closeGrace`, {
      ...LIMIT,
      skip,
    }, async () => {
      const server = await listening(new Server(LOCAL, DatagramCommands), 1);
      server.closeGrace = 200;
      const client = await UdpClient.open();
      try {
        await client.send("forever", server.serverAddress.port);
        await sleep(100); // the handler runs, on the worker's own
        await server.stop();
        assert.ok(await settlesWithin(server.serverClose(), 10_000));
        assert.equal(server.activeWorkers, 0);
      } finally {
        client.close();
      }
    });

    for (const how of ["crash", "hang", "kill"] as const) {
      if (how === "kill" && one === "thread") continue;
      it(
        `a ${one} that ${
          { crash: "crashes", hang: "hangs", kill: "is killed (SIGKILL)" }[how]
        } is reported, replaced, and the port serves on`,
        {
          ...LIMIT,
          skip,
        },
        async () => {
          const errors: unknown[] = [];
          // deno-lint-ignore no-explicit-any
          const Collecting = collectingErrors(Server as any, errors);
          await using server = new Collecting(
            LOCAL,
            DatagramCommands,
          ) as PoolServer;
          // The server times each datagram: its loop gets them first.
          if (how === "hang") server.handlerTimeout = 300;
          await listening(server, 1);
          const port = server.serverAddress.port;
          if (how === "kill") {
            assert.equal(await ask(port, "up"), "UP");
            process.kill(
              [...(server as ForkingUDPServer).activeChildren][0],
              "SIGKILL",
            );
          } else assert.equal(await ask(port, how, 500), null);
          assert.ok(await until(() => errors.length > 0, 10_000));
          assert.ok(errors[0] instanceof WorkerError, String(errors[0]));
          assert.equal(await answered(port, "again"), "AGAIN");
          assert.equal(server.activeWorkers, 1);
          await server.shutdown();
        },
      );
    }

    it("a flood of datagrams costs a bounded queue; later clients are served", {
      ...LIMIT,
      skip,
    }, async () => {
      await using server = await listening(new Server(LOCAL, DatagramCommands));
      const port = server.serverAddress.port;
      const flooders = await Promise.all(
        Array.from({ length: 4 }, () => UdpClient.open()),
      );
      try {
        // 8,000 "slow" datagrams: each worker runs at most HELD_MAX at once
        // and leaves the rest in the kernel's buffer, which drops them.
        for (let i = 0; i < 2000; i++) {
          for (const flooder of flooders) void flooder.send("slow", port);
          if (i % 200 === 0) await sleep(1);
        }
        assert.equal(await answered(port, "still"), "STILL");
      } finally {
        for (const flooder of flooders) flooder.close();
      }
      await server.stop();
    });
  });
}

describe(`listenIn* on a datagram server that cannot share its port [${RUNTIME}]`, () => {
  it("a UDP server refuses it before binding", {
    ...LIMIT,
    skip: cannotShare === undefined
      ? `${RUNTIME}'s UDP sockets share a port: the tests above serve through it`
      : undefined,
  }, async () => {
    const server = listenIn(new ThreadingUDPServer(LOCAL, DatagramCommands), 2);
    await assert.rejects(server.ready(), NotSupportedError);
    assert.equal(server.serverAddress.port, 0, "never bound");
    assert.equal(server.activeWorkers, 0);
  });

  it("a Unix datagram server refuses it before binding", {
    ...LIMIT,
    skip: driver.unsupported("unixDatagram"),
  }, async () => {
    const dir = tempDir();
    try {
      const server = new ThreadingUnixDatagramServer(
        { path: `${dir.path}/d` },
        DatagramCommands,
      );
      server.listenInThreads = true;
      await assert.rejects(server.ready(), NotSupportedError);
      assert.equal(server.activeWorkers, 0);
    } finally {
      dir.remove();
    }
  });
});
