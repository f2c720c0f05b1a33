/**
 * The server's end of a child process: the child connects back over
 * loopback TCP and proves itself with a random token, then messages travel
 * as frames. A private socket beats the child's stdin/stdout, which a
 * handler's `console.log` would corrupt, and every runtime can do it.
 *
 * The port and token reach the child on its stdin, never its command line
 * (`/proc/PID/cmdline` is readable by every local user). Any local process
 * can still connect to the port: connections are checked side by side, a
 * few bytes and seconds each, so one that stalls cannot hold the child out.
 *
 * @module
 */

import { WorkerError } from "../errors.ts";
import type { Driver } from "../driver.ts";
import type {
  ChildExit,
  ChildProcessHandle,
  WorkerEvents,
  WorkerLink,
} from "../host.ts";
import type {
  SocketAddress,
  StreamConn,
  StreamListener,
} from "../transport.ts";
import { frameBatcher, FrameReader } from "./frames.ts";

/** How long a child may take to start and connect back. */
const CONNECT_TIMEOUT_MS = 30_000;

/** A running child process and the link to it. */
export interface ProcessLink extends WorkerLink {
  /** The child's process id. */
  readonly pid: number;
  /** Sends over the child's IPC channel, with a connection it takes over. */
  pass(message: unknown, conn?: StreamConn<SocketAddress>): Promise<void>;
}

/**
 * Starts a child running the driver's child entry and waits for it to
 * connect.
 *
 * @param driver Spawns the child and opens the rendezvous socket.
 * @param events Receives the child's messages and its exit.
 * @returns The link, once the child is connected.
 * @throws {WorkerError} If the child exits or stays silent instead.
 */
export async function startProcessLink(
  driver: Driver,
  events: WorkerEvents,
): Promise<ProcessLink> {
  const listener = await driver.listenTcp({
    hostname: "127.0.0.1",
    port: 0,
    backlog: 8,
    reusePort: false,
  });
  const token = Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  let child: ChildProcessHandle;
  try {
    child = driver.spawnChild(`${listener.address.port} ${token}\n`);
  } catch (error) {
    await listener.close();
    throw error;
  }
  let conn: StreamConn;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // One promise settled by whichever comes first, so the losers cannot
    // become unhandled rejections later.
    conn = await new Promise<StreamConn>((resolve, reject) => {
      acceptChild(listener, token).then(resolve, reject);
      void child.exited.then((exit) =>
        reject(
          new WorkerError(
            `child process ${child.pid} ${describeExit(exit)} at start`,
          ),
        )
      );
      timer = setTimeout(
        () =>
          reject(
            new WorkerError(
              `child process ${child.pid} did not connect within ${CONNECT_TIMEOUT_MS} ms`,
            ),
          ),
        CONNECT_TIMEOUT_MS,
      );
    });
  } catch (error) {
    child.kill();
    await child.exited;
    throw error;
  } finally {
    clearTimeout(timer);
    await listener.close();
  }
  conn.setNoDelay(true);

  let ended = false;
  const end = (how: string) => {
    if (ended) return;
    ended = true;
    conn.close();
    events.exit(how);
  };
  void child.exited.then((exit) => end(describeExit(exit)));
  void (async () => {
    const reader = new FrameReader();
    try {
      for (;;) {
        const chunk = await conn.read();
        if (chunk === null) break;
        for (const message of reader.push(chunk)) events.message(message);
      }
    } catch {
      // a broken link is reported like the child's end, below
    }
    if (!ended) {
      // The exit status says more than the closed socket; give it a moment.
      const how = await Promise.race([
        child.exited.then(describeExit),
        new Promise<string>((resolve) =>
          setTimeout(() => resolve("closed its link"), 200)
        ),
      ]);
      end(how);
    }
  })();

  let writing = Promise.resolve();
  const outbox = frameBatcher((frames) => {
    writing = writing.then(() => conn.write(frames)).catch(() => {
      // the exit is reported by the reader
    });
  });
  return {
    pid: child.pid,
    send(message: unknown): void {
      if (!ended) outbox.send(message);
    },
    pass(message: unknown, passed?: StreamConn<SocketAddress>): Promise<void> {
      outbox.flush(); // what was sent before goes first
      return child.pass(message, passed);
    },
    async terminate(): Promise<void> {
      ended = true;
      child.kill();
      conn.close();
      await child.exited;
    },
  };
}

/** `"exited with code 1"`, `"was killed by SIGKILL"`: for error messages. */
function describeExit(exit: ChildExit): string {
  if (exit.error !== undefined) return `failed to start: ${exit.error}`;
  return exit.signal !== null
    ? `was killed by ${exit.signal}`
    : `exited with code ${exit.code}`;
}

/** How long and how many bytes a connection has to prove itself. */
const HELLO_TIMEOUT_MS = 5_000;
const HELLO_MAX_BYTES = 256;
/** Connections checked at once; more are closed unread. */
const HELLO_MAX_PENDING = 16;

/**
 * Accepts connections until one sends the right token first. Each is
 * checked in its own task with a deadline and a byte bound, so a local
 * process that connects first and stalls, or floods, delays nothing.
 */
function acceptChild(
  listener: StreamListener,
  token: string,
): Promise<StreamConn> {
  return new Promise((resolve, reject) => {
    let found = false;
    let pending = 0;
    const check = async (conn: StreamConn) => {
      pending++;
      const timer = setTimeout(() => conn.abort(), HELLO_TIMEOUT_MS);
      let ok = false;
      try {
        ok = await provesToken(conn, token);
      } catch {
        // not our child
      } finally {
        clearTimeout(timer);
        pending--;
      }
      if (ok && !found) {
        found = true;
        resolve(conn);
      } else {
        conn.abort();
      }
    };
    void (async () => {
      try {
        while (!found) {
          const conn = await listener.accept();
          if (found || pending >= HELLO_MAX_PENDING) conn.abort();
          else void check(conn);
        }
      } catch (error) {
        if (!found) reject(error);
      }
    })();
  });
}

/** Whether the first frame on `conn` is the hello with `token`. */
async function provesToken(conn: StreamConn, token: string): Promise<boolean> {
  const reader = new FrameReader();
  let read = 0;
  for (;;) {
    const chunk = await conn.read();
    if (chunk === null) return false;
    read += chunk.length;
    const [first] = reader.push(chunk);
    if (first !== undefined) {
      const hello = first as { t?: unknown; token?: unknown };
      return hello.t === "hello" && sameText(hello.token, token);
    }
    if (read > HELLO_MAX_BYTES) return false;
  }
}

/** Compares in time independent of where the texts differ. */
function sameText(given: unknown, expected: string): boolean {
  if (typeof given !== "string" || given.length !== expected.length) {
    return false;
  }
  let difference = 0;
  for (let i = 0; i < expected.length; i++) {
    difference |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  }
  return difference === 0;
}
