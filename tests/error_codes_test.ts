// Every code in ErrorCode, provoked on real sockets on each runtime and
// driver: the same `code` (and class) everywhere is what the constants
// promise, and a SocketError's message is the same too: what failed, where,
// why. A code added to ErrorCode without a case here fails the last test.

import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import {
  BaseRequestHandler,
  type DatagramRequest,
  DatagramRequestHandler,
  type Driver,
  ErrorCode,
  LineTooLongError,
  type NetAddress,
  NotSupportedError,
  ProxyProtocolError,
  type RequestHandlerClass,
  ServerClosedError,
  SocketError,
  StreamRequestHandler,
  type StreamSocket,
  TCPServer,
  ThreadingTCPServer,
  TimeoutError,
  UDPServer,
  type UnixAddress,
  UnixDatagramServer,
  UnixStreamServer,
  WorkerError,
} from "../mod.ts";
import { Commands } from "./_pool_handlers.ts";
import {
  Client,
  collectingErrors,
  denoUnixDatagram,
  DRIVERS,
  LineEcho,
  LOCAL,
  RUNTIME,
  sleep,
  tempDir,
  UdpClient,
  until,
} from "./_helpers.ts";

type Code = keyof typeof ErrorCode;

interface Case {
  /** The class the error must be an instance of. */
  type: abstract new (...args: never[]) => Error;
  /** Why this driver cannot provoke it, if it cannot. */
  skip?: (driver: Driver) => string | undefined;
  /** Provokes the error and returns it. */
  provoke: (driver: Driver) => Promise<unknown>;
  /**
   * The message, the same on every runtime and driver: what failed, the
   * address it concerns, why, and the code.
   */
  message?: RegExp;
}

/** What `run` throws or rejects with; fails the test if it succeeds. */
async function failure(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  assert.fail("expected a failure");
}

/** Serves one connection with `handler` and returns what `handleError` got. */
async function handlerFailure(
  driver: Driver,
  // deno-lint-ignore no-explicit-any
  handler: RequestHandlerClass<StreamSocket, NetAddress, any>,
  client: (port: number) => Promise<() => void>,
  configure: (server: TCPServer) => void = () => {},
): Promise<unknown> {
  const errors: unknown[] = [];
  const Server = collectingErrors(TCPServer, errors);
  await using server = new Server(LOCAL, handler, { driver });
  configure(server);
  await server.ready();
  const handled = server.handleRequest();
  const done = await client(server.serverAddress.port);
  try {
    await handled;
  } finally {
    done();
  }
  assert.equal(errors.length, 1, String(errors));
  return errors[0];
}

const NO_UNIX_DATAGRAM = (driver: Driver) => driver.unsupported("unixDatagram");

const CASES: Record<Code, Case> = {
  EADDRINUSE: {
    type: SocketError,
    message:
      /^listen on 127\.0\.0\.1:\d+: address already in use \(EADDRINUSE\)$/,
    async provoke(driver) {
      await using first = new TCPServer(LOCAL, LineEcho, { driver });
      await first.ready();
      const taken = { ...LOCAL, port: first.serverAddress.port };
      await using second = new TCPServer(taken, LineEcho, { driver });
      return await failure(() => second.ready());
    },
  },
  EADDRNOTAVAIL: {
    type: SocketError,
    message:
      /^listen on 192\.0\.2\.1:0: address not available on this machine \(EADDRNOTAVAIL\)$/,
    async provoke(driver) {
      // 192.0.2.0/24 is for documentation: never this machine's.
      const address = { hostname: "192.0.2.1", port: 0 };
      await using server = new TCPServer(address, LineEcho, { driver });
      return await failure(() => server.ready());
    },
  },
  EACCES: {
    type: SocketError,
    message: /^listen on ".+\/server\.sock": permission denied \(EACCES\)$/,
    skip: () =>
      process.getuid?.() === 0
        ? "root may bind anywhere; run the suite as a user to provoke EACCES"
        : undefined,
    async provoke(driver) {
      const dir = tempDir();
      try {
        chmodSync(dir.path, 0o500); // no write permission: no new files
        const path = `${dir.path}/server.sock`;
        await using server = new UnixStreamServer({ path }, LineEcho, {
          driver,
        });
        return await failure(() => server.ready());
      } finally {
        chmodSync(dir.path, 0o700);
        dir.remove();
      }
    },
  },
  ENOENT: {
    type: SocketError,
    message:
      /^listen on ".+\/missing\/server\.sock": no such file or directory \(ENOENT\)$/,
    async provoke(driver) {
      const dir = tempDir();
      try {
        const path = `${dir.path}/missing/server.sock`;
        await using server = new UnixStreamServer({ path }, LineEcho, {
          driver,
        });
        return await failure(() => server.ready());
      } finally {
        dir.remove();
      }
    },
  },
  EPERM: {
    type: SocketError,
    message:
      /^listen on "\/sys\/socketserver-\d+\.sock": operation not permitted \(EPERM\)$/,
    skip: (driver) =>
      process.getuid?.() !== 0
        ? "needs root: sysfs refuses root a socket file with EPERM, and a user with EACCES first"
        : RUNTIME === "deno" && driver.name === "node"
        ? "Deno's node:net reports EPERM as EACCES (Deno bug; the native Deno driver reports EPERM)"
        : undefined,
    async provoke(driver) {
      const path = `/sys/socketserver-${process.pid}.sock`;
      await using server = new UnixStreamServer({ path }, LineEcho, { driver });
      return await failure(() => server.ready());
    },
  },
  ENOTFOUND: {
    type: SocketError,
    message:
      /^listen on no-such-host\.invalid:0: host name not found \(ENOTFOUND\)$/,
    async provoke(driver) {
      // .invalid never resolves (RFC 6761).
      const address = { hostname: "no-such-host.invalid", port: 0 };
      await using server = new TCPServer(address, LineEcho, { driver });
      return await failure(() => server.ready());
    },
  },
  ECONNRESET: {
    type: SocketError,
    message:
      /^recv from 127\.0\.0\.1:\d+: connection reset by peer \(ECONNRESET\)$/,
    provoke(driver) {
      let reading: () => void;
      const started = new Promise<void>((resolve) => reading = resolve);
      class Reader extends BaseRequestHandler {
        override async handle() {
          const read = this.request.recv(10);
          reading();
          await read; // the reset arrives while this read waits
        }
      }
      return handlerFailure(driver, Reader, async (port) => {
        const client = await Client.connect(port);
        await started;
        await sleep(50);
        client.reset();
        return () => client.close();
      });
    },
  },
  EPIPE: {
    type: SocketError,
    message: /^send to 127\.0\.0\.1:\d+: connection closed \(EPIPE\)$/,
    provoke(driver) {
      class Flood extends StreamRequestHandler {
        override async handle() {
          const chunk = new Uint8Array(1 << 20);
          for (;;) await this.wfile.write(chunk); // until the write is stuck
        }
      }
      return handlerFailure(driver, Flood, async (port) => {
        const client = await Client.connect(port);
        client.socket.pause(); // reads nothing: the writes back up
        return () => client.close();
      }, (server) => server.idleTimeout = 200); // the cut fails the write
    },
  },
  EMSGSIZE: {
    type: SocketError,
    message: /^sendto 127\.0\.0\.1:\d+: message too long \(EMSGSIZE\)$/,
    async provoke(driver) {
      const errors: unknown[] = [];
      class Huge extends DatagramRequestHandler {
        override async handle() {
          await this.wfile.write(new Uint8Array(70_000)); // past 65507
        }
      }
      const Server = collectingErrors(UDPServer, errors);
      await using server = new Server(LOCAL, Huge, { driver });
      await server.ready();
      const handled = server.handleRequest();
      const client = await UdpClient.open();
      try {
        await client.send("huge", server.serverAddress.port);
        await handled;
      } finally {
        client.close();
      }
      return errors[0];
    },
  },
  EDESTADDRREQ: {
    type: SocketError,
    message:
      /^sendto an unnamed Unix socket: the sender bound no path, so no reply can reach it \(EDESTADDRREQ\)$/,
    skip: NO_UNIX_DATAGRAM,
    async provoke(driver) {
      const dir = tempDir();
      const path = `${dir.path}/server.sock`;
      const errors: unknown[] = [];
      const Server = collectingErrors(UnixDatagramServer, errors);
      // A reply to a sender that bound no path has nowhere to go.
      const toNobody = (request: DatagramRequest<UnixAddress>) =>
        request[1].sendto("lost", { path: "" });
      try {
        await using server = new Server({ path }, toNobody, { driver });
        await server.ready();
        const handled = server.handleRequest();
        const client = denoUnixDatagram(`${dir.path}/client.sock`);
        try {
          await client.send(new Uint8Array(1), {
            transport: "unixpacket",
            path,
          });
          await handled;
        } finally {
          client.close();
        }
        return errors[0];
      } finally {
        dir.remove();
      }
    },
  },
  ETIMEDOUT: {
    type: TimeoutError,
    provoke(driver) {
      class Patient extends BaseRequestHandler {
        override async handle() {
          this.request.timeout = 100;
          await this.request.recv(10); // the client sends nothing
        }
      }
      return handlerFailure(driver, Patient, async (port) => {
        const client = await Client.connect(port);
        return () => client.close();
      });
    },
  },
  ERR_LINE_TOO_LONG: {
    type: LineTooLongError,
    provoke(driver) {
      class Short extends StreamRequestHandler {
        override async handle() {
          await this.rfile.readline({ limit: 8 });
        }
      }
      return handlerFailure(driver, Short, async (port) => {
        const client = await Client.connect(port);
        await client.write("0123456789abcdef\n");
        return () => client.close();
      });
    },
  },
  ERR_SERVER_CLOSED: {
    type: ServerClosedError,
    async provoke(driver) {
      const server = new TCPServer(LOCAL, LineEcho, { driver });
      await server.ready();
      await server.serverClose();
      return await failure(() => server.handleRequest());
    },
  },
  ERR_NOT_SUPPORTED: {
    type: NotSupportedError,
    async provoke(driver) {
      if (driver.unsupported("unixDatagram")) {
        const dir = tempDir();
        try {
          const path = `${dir.path}/server.sock`;
          return await failure(() =>
            new UnixDatagramServer({ path }, () => {}, { driver })
          );
        } finally {
          dir.remove();
        }
      }
      // Deno's native driver has Unix datagrams but hides descriptors.
      await using server = new TCPServer(LOCAL, LineEcho, { driver });
      await server.ready();
      return await failure(() => server.fileno());
    },
  },
  ERR_WORKER: {
    type: WorkerError,
    async provoke(driver) {
      const errors: unknown[] = [];
      const Server = collectingErrors(ThreadingTCPServer, errors);
      await using server = new Server(LOCAL, Commands, { driver });
      server.poolSize = 1;
      await server.ready();
      const serving = server.serveForever({ pollInterval: 10 });
      const client = await Client.connect(server.serverAddress.port);
      try {
        await client.write("crash\n"); // an uncaught error ends the worker
        await client.closedWithin(10_000);
        // A thread that serves the connection itself closes it as it dies,
        // which the client can see before the server hears of the death.
        await until(() => errors.length > 0);
      } finally {
        client.close();
        await server.shutdown();
        await serving;
      }
      return errors[0];
    },
  },
  ERR_PROXY_PROTOCOL: {
    type: ProxyProtocolError,
    async provoke(driver) {
      const errors: unknown[] = [];
      const Server = collectingErrors(TCPServer, errors);
      await using server = new Server(LOCAL, LineEcho, {
        driver,
        proxyProtocol: true,
      });
      await server.ready();
      const handled = server.handleRequest();
      const client = await Client.connect(server.serverAddress.port);
      try {
        await client.write("hello\n"); // no PROXY header first
        await handled;
      } finally {
        client.close();
      }
      return errors[0];
    },
  },
};

for (const driver of DRIVERS) {
  describe(`error codes [${driver.name} driver on ${RUNTIME}]`, () => {
    for (
      const [code, { type, skip, provoke, message }] of Object.entries(CASES)
    ) {
      it(
        code,
        { timeout: 30_000, skip: skip?.(driver) },
        async () => {
          const error = await provoke(driver);
          assert.ok(error instanceof type, `${code}: got ${error}`);
          assert.equal((error as { code?: unknown }).code, code, String(error));
          if (message) assert.match(error.message, message);
        },
      );
    }
  });
}

describe(`error codes [${RUNTIME}]`, () => {
  it("every ErrorCode has a case above, and each constant is its own name", () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.keys(ErrorCode).sort());
    for (const [name, value] of Object.entries(ErrorCode)) {
      assert.equal(value, name);
    }
  });
});
