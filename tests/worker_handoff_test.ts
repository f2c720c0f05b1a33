// ForkingMixIn hands each connection to a child process, which serves it
// itself: no byte passes the server's process. Checked in /proc: the
// connection's socket is one of the child's descriptors and none of the
// server's. TLS handshakes, the PROXY header and the idle cut run in the
// child; a child killed mid-request is replaced and its client reported; a
// killed server takes its children with it. Threads take TCP connections
// over where the runtime can move a socket to one (Node 24.20 and later).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import {
  ForkingTCPServer,
  ForkingUnixStreamServer,
  ThreadingTCPServer,
  ThreadingUnixStreamServer,
  WorkerError,
} from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import {
  Client,
  collectingErrors,
  connectUnix,
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
import { Program } from "./_program.ts";

const LIMIT = { timeout: 30_000 };
const skip = process.platform === "linux"
  ? undefined
  : "reads /proc to see which process holds a socket (Linux only)";

/** The socket inodes among a process's descriptors. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(
        readlinkSync(`/proc/${pid}/fd/${fd}`),
      );
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** The inode of the server's end of the TCP connection from `clientPort`. */
function tcpInode(serverPort: number, clientPort: number): string | undefined {
  const hex = (port: number) =>
    port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (
        cols[1]?.endsWith(`:${hex(serverPort)}`) &&
        cols[2]?.endsWith(`:${hex(clientPort)}`)
      ) return cols[9];
    }
  }
  return undefined;
}

/** The inodes of connected (not listening) Unix sockets bound to `path`. */
function unixInodes(path: string): string[] {
  return readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[7] === path && cols[3] !== "00010000")
    .map((cols) => cols[6]);
}

/**
 * Where a connection's socket is: in the child, and not in this process
 * once the handover is done (Bun lets go of its copy a moment later).
 */
async function heldByChildOnly(
  inode: string | undefined,
  child: number,
): Promise<void> {
  assert.ok(inode, "the connection is in /proc/net");
  assert.ok(socketInodes(child).has(inode), "the child holds the socket");
  assert.ok(
    await until(() => !socketInodes(process.pid).has(inode), 2000),
    "the server does not",
  );
}

/** Whether process `pid` still runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Why prlimit cannot lower a child's limit here, if it cannot. */
function prlimitSkip(): string | undefined {
  try {
    execFileSync("prlimit", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    return "needs prlimit (util-linux) to lower a child's descriptor limit";
  }
}

/**
 * Holds `count` clients that each wait for a reply, for 2 s, then lets them
 * go and checks that the server answers again.
 */
async function servesAfterHolding(
  program: Program,
  port: number,
  count: number,
): Promise<void> {
  const held: net.Socket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const socket = net.connect(port, "127.0.0.1");
      socket.on("error", () => {}); // refused or reset: expected
      socket.write("wait\n");
      held.push(socket);
    }
    await sleep(2000);
  } finally {
    for (const socket of held) socket.destroy();
  }
  assert.ok(
    await eventually(async () => /^\d+ /.test(await exchange(port, "who\n"))),
    `no answer once descriptors were back:\n${program.output.slice(-2000)}`,
  );
}

/** Whether `check` comes true within 15 s, tried every 200 ms. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      // refused or reset: try again
    }
    await sleep(200);
  }
  return false;
}

type OnePool =
  | ForkingTCPServer
  | ForkingUnixStreamServer
  | ThreadingTCPServer
  | ThreadingUnixStreamServer;

/** A served pool of one worker (child or thread), and the way to stop it. */
async function serving<S extends OnePool>(
  server: S,
): Promise<S & { stop(): Promise<void> }> {
  if ("maxChildren" in server) server.maxChildren = 1;
  else server.poolSize = 1;
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
 * While `client`'s handler waits for its second line, its connection is in
 * the child only (`inode()` finds it); then the handler finishes.
 */
async function handedOver(
  server: { activeChildren: ReadonlySet<number> },
  client: Client,
  inode: () => string | undefined,
): Promise<void> {
  try {
    await client.write("wait\n");
    assert.match(await client.readUntil("\n"), /^waiting 1/);
    const [child] = server.activeChildren;
    await heldByChildOnly(inode(), child);
    await client.write("go\n");
    assert.match(await client.readAll(), /went\n$/);
  } finally {
    client.close();
  }
}

describe(`ForkingMixIn hands connections to its children [${RUNTIME}]`, () => {
  it("a child holds a TCP connection itself, the server none of it", {
    ...LIMIT,
    skip,
  }, async () => {
    await using server = await serving(
      new ForkingTCPServer(LOCAL, Commands),
    );
    const port = server.serverAddress.port;
    const client = await Client.connect(port);
    await handedOver(
      server,
      client,
      () => tcpInode(port, client.socket.localPort!),
    );
    await server.stop();
  });

  it(
    "a child serves a plain connection with Bun's own socket on Bun",
    LIMIT,
    async () => {
      await using server = await serving(
        new ForkingTCPServer(LOCAL, Commands),
      );
      const port = server.serverAddress.port;
      // Bun's node:net socket gives its native socket to the driver's class;
      // Deno and Node serve it through node:net.
      const expected = RUNTIME === "bun" ? "BunConn" : "NodeConn";
      for (let i = 0; i < 3; i++) {
        assert.equal(await exchange(port, "conn\n"), `${expected}\n`);
      }
      await server.stop();
    },
  );

  it("a child serves TLS, handshake included, and drops a silent client", {
    ...LIMIT,
    skip,
  }, async () => {
    const pem = makeCertificate();
    await using server = await serving(
      new ForkingTCPServer(LOCAL, Commands, {
        tls: { ...pem, handshakeTimeout: 300 },
      }),
    );
    const port = server.serverAddress.port;
    const silent = await Client.connect(port);
    try {
      const client = await tlsClient(port, pem.cert);
      await handedOver(
        server,
        client,
        () => tcpInode(port, client.socket.localPort!),
      );
      // The child's handshake limit closes the silent one.
      assert.ok(await silent.closedWithin(5000));
      assert.ok(await until(() => server.activeConnections === 0));
    } finally {
      silent.close();
    }
    await server.stop();
  });

  it("a child serves a Unix stream connection itself", {
    ...LIMIT,
    skip,
  }, async () => {
    const dir = tempDir();
    try {
      const path = `${dir.path}/s`;
      await using server = await serving(
        new ForkingUnixStreamServer({ path }, Commands),
      );
      await handedOver(server, await connectUnix(path), () => {
        const inodes = unixInodes(path);
        assert.equal(inodes.length, 1, "one accepted socket");
        return inodes[0];
      });
      await server.stop();
    } finally {
      dir.remove();
    }
  });

  it(
    "a child reads the PROXY header and cuts idle clients",
    LIMIT,
    async () => {
      const errors: unknown[] = []; // the cut client's handler fails to reply
      const Server = collectingErrors(ForkingTCPServer, errors);
      await using server = new Server(LOCAL, Commands, {
        proxyProtocol: true,
      });
      server.maxChildren = 1;
      server.idleTimeout = 300;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const port = server.serverAddress.port;
      assert.equal(
        await exchange(
          port,
          "PROXY TCP4 192.0.2.7 192.0.2.1 4242 80\r\naddr\n",
        ),
        "192.0.2.7 4242\n",
      );
      const idle = await Client.connect(port);
      try {
        await idle.write("PROXY TCP4 192.0.2.7 192.0.2.1 4243 80\r\n");
        assert.ok(await idle.closedWithin(5000), "the idle client is cut");
      } finally {
        idle.close();
      }
      await server.shutdown();
      await serving;
    },
  );

  it("no child outlives a server killed mid-request", {
    ...LIMIT,
    skip,
  }, async () => {
    await using program = new Program(
      new URL("./_forking_server.ts", import.meta.url),
    );
    const port = await program.port();
    const [, list] = await program.waitFor(/children (.+)\n/);
    const children = list.split(" ").map(Number);
    const client = await Client.connect(port);
    try {
      await client.write("wait\n");
      assert.match(await client.readUntil("\n"), /^waiting/);
      process.kill(program.pid, "SIGKILL");
      await program.exited();
      // The child holding the client's socket goes too, closing it.
      assert.ok(await client.closedWithin(10_000), "the client is let go");
      assert.ok(
        await until(() => children.every((pid) => !alive(pid)), 10_000),
        `children left: ${children.filter(alive)}`,
      );
    } finally {
      client.close();
    }
  });

  it("children out of descriptors: the server survives and serves again", {
    ...LIMIT,
    skip: skip ?? prlimitSkip(),
  }, async () => {
    await using program = new Program(
      new URL("./_forking_server.ts", import.meta.url),
    );
    const port = await program.port();
    const [, list] = await program.waitFor(/children (.+)\n/);
    // Each child may hold 64 descriptors; 150 clients stay connected.
    for (const pid of list.split(" ")) {
      execFileSync("prlimit", ["--pid", pid, "--nofile=64:64"]);
    }
    // Node and Bun children refuse what they cannot take; Deno's panic
    // (a Deno bug) and are replaced. Either way the server serves again.
    await servesAfterHolding(program, port, 150);
  });

  it(
    "replaces a child killed mid-request and reports its client",
    LIMIT,
    async () => {
      const errors: unknown[] = [];
      const Server = collectingErrors(ForkingTCPServer, errors);
      await using server = new Server(LOCAL, Commands);
      server.maxChildren = 1;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const port = server.serverAddress.port;
      const client = await Client.connect(port);
      try {
        await client.write("wait\n");
        assert.match(await client.readUntil("\n"), /^waiting 1/);
        const [child] = server.activeChildren;
        process.kill(child, "SIGKILL");
        assert.ok(await client.closedWithin(5000));
      } finally {
        client.close();
      }
      assert.ok(await until(() => errors.length === 1));
      assert.ok(errors[0] instanceof WorkerError, String(errors[0]));
      assert.match(errors[0].message, /SIGKILL/);
      assert.match(await exchange(port, "who\n"), /^2 /);
      await server.shutdown();
      await serving;
    },
  );
});

describe(`ThreadingMixIn hands TCP connections to its threads [${RUNTIME}]`, () => {
  // The runtime's own driver; the node one on Deno and Bun relays alike.
  const driver = DRIVERS[0];
  const cannot = driver.unsupported("threadHandover");
  const expected = cannot ? "relayed\n" : "own\n";

  it(
    `a thread serves a TCP connection ${cannot ? "relayed" : "itself"}`,
    LIMIT,
    async () => {
      await using server = await serving(
        new ThreadingTCPServer(LOCAL, Commands),
      );
      assert.equal(
        await exchange(server.serverAddress.port, "held\n"),
        expected,
      );
      await server.stop();
    },
  );

  it("a thread serves a plain connection with the runtime's own socket", {
    ...LIMIT,
    skip: cannot,
  }, async () => {
    await using server = await serving(
      new ThreadingTCPServer(LOCAL, Commands),
    );
    assert.equal(
      await exchange(server.serverAddress.port, "conn\n"),
      RUNTIME === "bun" ? "BunConn\n" : "NodeConn\n",
    );
    await server.stop();
  });

  it(
    "connections on their way to a thread that hangs are closed with it, then the pool serves on",
    { ...LIMIT, skip: cannot },
    async () => {
      const errors: unknown[] = [];
      const Server = collectingErrors(ThreadingTCPServer, errors);
      await using server = new Server(LOCAL, Commands);
      server.poolSize = 1;
      server.handlerTimeout = 500;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const port = server.serverAddress.port;
      const hung = await Client.connect(port);
      const waiting: Client[] = [];
      try {
        await hung.write("hang\n");
        await sleep(100); // the only thread spins from here on
        // Handed to the spinning thread, which never takes them: on Bun
        // their descriptors wait in its message queue until it is killed.
        for (let i = 0; i < 3; i++) {
          const client = await Client.connect(port);
          await client.write("who\n");
          waiting.push(client);
        }
        assert.ok(await hung.closedWithin(5000), "the hung request ends");
        for (const client of waiting) {
          assert.ok(await client.closedWithin(5000), "no descriptor leaks");
        }
      } finally {
        hung.close();
        for (const client of waiting) client.close();
      }
      assert.ok(await until(() => errors.length >= 1));
      assert.match(await exchange(port, "who\n"), /^2 /);
      await server.shutdown();
      await serving;
    },
  );

  it("a descriptor Bun cannot adopt is closed, not leaked", {
    ...LIMIT,
    skip: RUNTIME !== "bun"
      ? "Bun.connect({ fd }) is Bun's: Deno's and Node's threads never hold a bare descriptor"
      : skip,
  }, async () => {
    const { adoptDescriptor } = await import("../adapters/bun/adopt.ts");
    const dir = mkdtempSync(join(tmpdir(), "adopt-"));
    const path = join(dir, "not-a-socket");
    writeFileSync(path, "");
    const fd = openSync(path, "r");
    const local = { hostname: "127.0.0.1", port: 1 };
    try {
      await assert.rejects(adoptDescriptor(fd, local, local));
      let target: string | undefined;
      try {
        target = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        // closed, and its number not taken again
      }
      assert.notEqual(target, path, "the descriptor is closed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("threads out of descriptors: the server survives and serves again", {
    ...LIMIT,
    skip: skip ?? prlimitSkip() ??
      (RUNTIME === "deno"
        ? "Deno panics when it registers a signal with no descriptor left (ext/signals, a Deno bug), which ends a threading server"
        : undefined),
  }, async () => {
    await using program = new Program(
      new URL("./_forking_server.ts", import.meta.url),
      ["threads"],
    );
    const port = await program.port();
    // The threads share the server's descriptors: 128 for the whole process
    // (on Bun each connection handed over costs a second one for a moment).
    execFileSync("prlimit", ["--pid", String(program.pid), "--nofile=128:128"]);
    await servesAfterHolding(program, port, 200);
  });

  it("a thread runs the TLS handshake and drops a silent client", {
    ...LIMIT,
    skip: driver.unsupported("threadHandoverTls"),
  }, async () => {
    const pem = makeCertificate();
    await using server = await serving(
      new ThreadingTCPServer(LOCAL, Commands, {
        tls: { ...pem, handshakeTimeout: 300 },
      }),
    );
    await tlsInWorker(server.serverAddress.port, pem.cert);
    assert.ok(await until(() => server.activeConnections === 0));
    await server.stop();
  });

  it("a thread reads the PROXY header", LIMIT, async () => {
    await using server = await serving(
      new ThreadingTCPServer(LOCAL, Commands, { proxyProtocol: true }),
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

  it(
    "a Unix stream connection is relayed: no runtime moves one to a thread",
    LIMIT,
    async () => {
      const dir = tempDir();
      try {
        const path = `${dir.path}/s`;
        await using server = await serving(
          new ThreadingUnixStreamServer({ path }, Commands),
        );
        const client = await connectUnix(path);
        try {
          await client.write("held\n");
          assert.equal(await client.readAll(), "relayed\n");
        } finally {
          client.close();
        }
        await server.stop();
      } finally {
        dir.remove();
      }
    },
  );
});
