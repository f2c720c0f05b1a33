// Graceful shutdown: closeGrace bounds how long serverClose() waits for
// running handlers, and closeOnSignals stops a server on SIGINT or SIGTERM
// (in a child process, so the signals never reach the test runner).

import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "./_testing.ts";
import {
  closeOnSignals,
  CTRL_C_GRACE,
  EventLoopTCPServer,
  StreamRequestHandler,
} from "../mod.ts";
import { Program } from "./_program.ts";
import {
  Client,
  collectingErrors,
  DRIVERS,
  LIMIT,
  LOCAL,
  RUNTIME,
  settlesWithin,
  sleep,
} from "./_helpers.ts";

const SERVER = new URL("./_signal_server.ts", import.meta.url);

/** Resolves once a connection to `port` is refused (the listener closed). */
async function refusedWithin(port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    if (refused) return true;
    await sleep(20);
  }
  return false;
}

/** Waits for the next line "holding", after sending "hold". */
async function hold(port: number): Promise<Client> {
  const client = await Client.connect(port);
  await client.write("hold\n");
  assert.equal(await client.readUntil("\n"), "holding\n");
  return client;
}

/** A handler that waits for a line that never comes. */
class Waits extends StreamRequestHandler {
  static started = 0;
  override async handle() {
    Waits.started++;
    await this.rfile.readline();
  }
}

for (const driver of DRIVERS) {
  describe(`closeGrace [${driver.name} driver on ${RUNTIME}]`, LIMIT, () => {
    it("closes the requests still running once the grace period ends", async () => {
      Waits.started = 0;
      const server = new EventLoopTCPServer(LOCAL, Waits, { driver });
      server.closeGrace = 100;
      await server.ready();
      const serving = server.serveForever();
      const clients = await Promise.all(
        [1, 2, 3].map(() => Client.connect(server.serverAddress.port)),
      );
      try {
        while (Waits.started < 3) await sleep(10);
        await server.shutdown();
        await serving;
        assert.equal(await settlesWithin(server.serverClose(), 5000), true);
        for (const client of clients) {
          assert.equal(await client.closedWithin(5000), true);
        }
        assert.equal(server.activeConnections, 0);
      } finally {
        for (const client of clients) client.close();
        await server.serverClose();
      }
    });

    it("closes a request stuck writing to a client that reads nothing", async () => {
      class Floods extends StreamRequestHandler {
        override async handle() {
          await this.wfile.write(new Uint8Array(32 << 20));
        }
      }
      const errors: unknown[] = [];
      const Server = collectingErrors(EventLoopTCPServer, errors);
      const server = new Server(LOCAL, Floods, { driver });
      server.closeGrace = 100;
      await server.ready();
      const serving = server.serveForever();
      const client = await Client.connect(server.serverAddress.port);
      client.socket.pause(); // reads nothing: the handler's write stalls
      try {
        while (server.activeConnections < 1) await sleep(5);
        await sleep(100);
        await server.shutdown();
        await serving;
        assert.equal(
          await settlesWithin(server.serverClose(), 5000),
          true,
          "serverClose() waited for the client past closeGrace",
        );
      } finally {
        client.close();
        await server.serverClose();
      }
    });

    it("waits for handlers that finish within the grace period", async () => {
      let finished = 0;
      class Finishes extends StreamRequestHandler {
        override async handle() {
          await sleep(100);
          await this.wfile.write("bye\n");
          finished++;
        }
      }
      const server = new EventLoopTCPServer(LOCAL, Finishes, { driver });
      await server.ready();
      const serving = server.serveForever();
      const client = await Client.connect(server.serverAddress.port);
      try {
        while (server.activeConnections < 1) await sleep(5);
        await server.shutdown();
        await serving;
        await server.serverClose();
        assert.equal(finished, 1);
        assert.equal(await client.readAll(), "bye\n");
      } finally {
        client.close();
      }
    });

    it("rejects a bad closeGrace and stays open", async () => {
      await using server = new EventLoopTCPServer(LOCAL, Waits, { driver });
      await server.ready();
      for (const bad of [-1, Infinity, "1000", NaN]) {
        // @ts-expect-error: a string is a type error too
        server.closeGrace = bad;
        await assert.rejects(server.serverClose(), /closeGrace/);
      }
      server.closeGrace = 0;
      const client = await Client.connect(server.serverAddress.port);
      client.close();
    });
  });
}

describe(`closeOnSignals on ${RUNTIME}`, LIMIT, () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: stops taking clients, lets a running handler finish, exits 0`, async () => {
      await using server = new Program(SERVER, ["null"]);
      const port = await server.port();
      const client = await hold(port);
      try {
        server.signal(signal);
        // The listener closes at once, while the handler still runs.
        assert.equal(await refusedWithin(port, 5000), true);
        await client.write("go\n");
        assert.equal(await client.readAll(), "holding\ndone\n");
        await server.waitFor(/closed\n/);
        assert.equal(await server.exited(), 0);
      } finally {
        client.close();
      }
    });
  }

  it("closes a hung handler's connection after closeGrace, then exits 0", async () => {
    await using server = new Program(SERVER, ["200"]);
    const client = await hold(await server.port());
    try {
      server.signal("SIGTERM");
      assert.equal(await client.closedWithin(5000), true);
      await server.waitFor(/closed\n/);
      assert.equal(await server.exited(), 0);
    } finally {
      client.close();
    }
  });

  for (const kind of ["sequential", "event loop"]) {
    it(`Ctrl-C with an idle client (${kind}): says what it waits for, closes it after ${CTRL_C_GRACE} ms, exits 0`, async () => {
      await using server = new Program(SERVER, ["null", kind.split(" ")[0]]);
      const client = await hold(await server.port());
      try {
        server.signal("SIGINT");
        await server.waitFor(
          /stopping; waiting up to 3 s for 1 connection; Ctrl-C again to stop now\n/,
        );
        // No reply will come: the client stays idle until the grace ends.
        assert.equal(await client.closedWithin(CTRL_C_GRACE + 5000), true);
        await server.waitFor(/closed\n/);
        assert.equal(await server.exited(), 0);
      } finally {
        client.close();
      }
    });
  }

  it("a second signal ends the process at once", async () => {
    await using server = new Program(SERVER, ["null"]);
    const client = await hold(await server.port());
    try {
      server.signal("SIGINT");
      assert.equal(await refusedWithin(await server.port(), 5000), true);
      server.signal("SIGINT");
      assert.equal(await server.exited(), null); // killed by the signal
      assert.doesNotMatch(server.output, /closed/);
    } finally {
      client.close();
    }
  });

  it("rejects signals and grace periods it cannot use", () => {
    const server = new EventLoopTCPServer(LOCAL, Waits, {
      bindAndActivate: false,
    });
    for (const signals of [[], ["SIGKILL"], "SIGINT"]) {
      assert.throws(
        // @ts-expect-error: wrong on purpose
        () => closeOnSignals(server, { signals }),
        /SIGINT/,
      );
    }
    for (const grace of [-1, Infinity, "3000"]) {
      assert.throws(
        // @ts-expect-error: wrong on purpose
        () => closeOnSignals(server, { grace }),
        /grace must be null or a finite number/,
      );
    }
    server.serverClose();
  });
});
