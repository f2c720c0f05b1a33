// Shared test helpers: the drivers to test on this runtime, a node:net
// client that reads by pull, and descriptor counting. node:net clients run
// unchanged on Deno, Bun and Node.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as dgram from "node:dgram";
import {
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import * as tls from "node:tls";
import { driver as bunDriver } from "../adapters/bun.ts";
import { driver as denoDriver } from "../adapters/deno.ts";
import { driver as nodeDriver } from "../adapters/node.ts";
import { type Driver, StreamRequestHandler } from "../mod.ts";

const runtime = globalThis as { Deno?: unknown; Bun?: unknown };

/** The name of the runtime running the tests. */
export const RUNTIME: "deno" | "bun" | "node" = runtime.Deno !== undefined
  ? "deno"
  : runtime.Bun !== undefined
  ? "bun"
  : "node";

/**
 * The drivers to test here: the runtime's native one, plus node:net on Deno
 * and Bun (their Node compatibility layers are a supported route too).
 */
export const DRIVERS: Driver[] = RUNTIME === "deno"
  ? [denoDriver, nodeDriver]
  : RUNTIME === "bun"
  ? [bunDriver, nodeDriver]
  : [nodeDriver];

/**
 * Deno's node:net loses a reply written just after the peer's FIN: the write
 * callback fires before the bytes are written and EPIPE follows. The native
 * Deno driver is not affected. Tests that half-close before the reply skip
 * that pairing with this reason.
 */
export function halfCloseSkip(driver: Driver): { skip?: string } {
  return RUNTIME === "deno" && driver.name === "node"
    ? {
      skip:
        "Deno's node:net drops a reply written right after the client's FIN (Deno bug; the native Deno driver passes)",
    }
    : {};
}

/** Echoes one line back, then the server closes the connection. */
export class LineEcho extends StreamRequestHandler {
  override async handle(): Promise<void> {
    await this.wfile.write(await this.rfile.readline());
  }
}

/**
 * `Base` whose `handleError` collects each error into `errors` instead of
 * printing it, so a test can assert on what was reported.
 */
export function collectingErrors<
  // deno-lint-ignore no-explicit-any
  T extends abstract new (...args: any[]) => {
    // deno-lint-ignore no-explicit-any
    handleError(request: any, clientAddress: any, error: unknown): unknown;
  },
>(Base: T, errors: unknown[]): T {
  abstract class Collecting extends Base {
    override handleError(_r: unknown, _a: unknown, error: unknown): void {
      errors.push(error);
    }
  }
  return Collecting;
}

/** mulberry32: a small seeded generator, so every run makes the same bytes. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per-test time limit: every test stops by itself. */
export const LIMIT = { timeout: 15_000 };

export const LOCAL = { hostname: "127.0.0.1", port: 0 };

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Open file descriptors of this process (Linux). */
export function fdCount(): number {
  return readdirSync("/proc/self/fd").length;
}

/** A node:net client with pull-style reads, for writing tests in order. */
export class Client {
  readonly socket: net.Socket;
  #chunks: Buffer[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error) => {
      this.#error = error;
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  static connect(port: number, hostname = "127.0.0.1"): Promise<Client> {
    return Client.fromSocket(
      net.connect({ port, host: hostname, allowHalfOpen: true }),
    );
  }

  /**
   * Wraps a socket that is connecting; resolves once it is connected (for
   * TLS sockets, once the handshake is done).
   */
  static fromSocket(
    socket: net.Socket,
    event: "connect" | "secureConnect" = "connect",
  ): Promise<Client> {
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.once(event, () => {
        socket.off("error", reject);
        resolve(new Client(socket));
      });
    });
  }

  /** The error the socket failed with, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  get localPort(): number {
    return this.socket.localPort!;
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => error ? reject(error) : resolve())
    );
  }

  /** Sends FIN (half-close); reading goes on. */
  end(): void {
    this.socket.end();
  }

  /** Closes with a reset (RST). */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  close(): void {
    this.socket.destroy();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #wait(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const woke = await new Promise<boolean>((resolve) => {
      this.#wake = () => resolve(true);
      timer = setTimeout(() => resolve(false), ms);
    });
    clearTimeout(timer);
    return woke;
  }

  /** Reads until `text` has arrived (or end/timeout); returns all read so far. */
  async readUntil(text: string, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const all = decoder.decode(Buffer.concat(this.#chunks));
      if (all.includes(text) || this.#ended) return all;
      if (!await this.#wait(deadline - Date.now())) return all;
    }
  }

  /** Reads until the server closes; returns everything as bytes. */
  async readAllBytes(ms = 10_000): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      if (!await this.#wait(deadline - Date.now())) {
        throw new Error(`no end of stream within ${ms} ms`);
      }
    }
    return new Uint8Array(Buffer.concat(this.#chunks));
  }

  /** Reads until the server closes; returns everything as text. */
  async readAll(ms = 10_000): Promise<string> {
    return decoder.decode(await this.readAllBytes(ms));
  }

  /** Bytes read so far. */
  get received(): string {
    return decoder.decode(Buffer.concat(this.#chunks));
  }

  /** Whether the server ended or reset within `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      if (!await this.#wait(deadline - Date.now())) return false;
    }
    return true;
  }
}

/** Connects, sends `payload`, half-closes, and returns the whole reply. */
export async function exchange(
  port: number,
  payload: string,
  hostname = "127.0.0.1",
): Promise<string> {
  const client = await Client.connect(port, hostname);
  try {
    await client.write(payload);
    client.end();
    return await client.readAll();
  } finally {
    client.close();
  }
}

/** Resolves `true` if `promise` settles within `ms`, else `false`. */
export async function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    promise.then(() => true, () => true),
    new Promise<boolean>((resolve) =>
      timer = setTimeout(() => resolve(false), ms)
    ),
  ]);
  clearTimeout(timer);
  return result;
}

/**
 * Polls `check` every 10 ms until it holds, for up to `ms`; returns whether
 * it held. For what a server does just after its client sees the close.
 */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** A fresh directory under the system temp dir, and a way to remove it. */
export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(`${tmpdir()}/ss-test-`);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A throwaway self-signed certificate for localhost, 127.0.0.1 and ::1,
 * made with Debian's `openssl` at test time.
 */
export function makeCertificate(): { cert: string; key: string } {
  const dir = tempDir();
  try {
    execFileSync("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
      "-keyout",
      `${dir.path}/key.pem`,
      "-out",
      `${dir.path}/cert.pem`,
    ], { stdio: "pipe" });
    return {
      cert: readFileSync(`${dir.path}/cert.pem`, "utf8"),
      key: readFileSync(`${dir.path}/key.pem`, "utf8"),
    };
  } catch (error) {
    throw new Error(
      "the TLS tests need openssl on PATH (Debian: apt-get install openssl)",
      { cause: error },
    );
  } finally {
    dir.remove();
  }
}

/** A node:dgram client with pull-style receives. */
export class UdpClient {
  readonly socket: dgram.Socket;
  #messages: { data: Uint8Array; from: dgram.RemoteInfo }[] = [];
  #wake: (() => void) | undefined;

  private constructor(socket: dgram.Socket) {
    this.socket = socket;
    socket.on("message", (data, from) => {
      this.#messages.push({ data: new Uint8Array(data), from });
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    });
  }

  /** Binds a client socket on `hostname`, port 0. */
  static async open(hostname = "127.0.0.1"): Promise<UdpClient> {
    const socket = dgram.createSocket(hostname.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve) => socket.bind(0, hostname, resolve));
    return new UdpClient(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(
    data: string | Uint8Array,
    port: number,
    hostname = "127.0.0.1",
  ): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(
        data,
        port,
        hostname,
        (error) => error ? reject(error) : resolve(),
      )
    );
  }

  /** The next datagram, or `null` if none arrives within `ms`. */
  async receive(ms = 5000): Promise<Uint8Array | null> {
    const deadline = Date.now() + ms;
    while (this.#messages.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const woke = await new Promise<boolean>((resolve) => {
        this.#wake = () => resolve(true);
        timer = setTimeout(
          () => resolve(false),
          Math.max(0, deadline - Date.now()),
        );
      });
      clearTimeout(timer);
      if (!woke) return null;
    }
    return this.#messages.shift()!.data;
  }

  /** The next datagram as text; fails the test if none arrives. */
  async receiveText(ms = 5000): Promise<string> {
    const data = await this.receive(ms);
    if (data === null) throw new Error(`no datagram within ${ms} ms`);
    return decoder.decode(data);
  }

  close(): void {
    this.socket.close();
  }
}

/** Connects to a Unix socket path and returns a pull-style client. */
export function connectUnix(path: string): Promise<Client> {
  return Client.fromSocket(net.connect({ path, allowHalfOpen: true }));
}

/**
 * Leaves a socket file at `path` that no socket is bound to, as a crashed
 * server does: a second name for a live socket's inode outlives the
 * listener (whose own name the runtime removes).
 */
export async function staleSocket(dir: string, path: string): Promise<void> {
  const first = `${dir}/crashed-${Math.random().toString(36).slice(2)}.sock`;
  const crashed = net.createServer().listen(first);
  await new Promise((resolve) => crashed.once("listening", resolve));
  linkSync(first, path);
  await new Promise((resolve) => crashed.close(resolve));
}

/** Sends a line to a Unix path and returns the whole reply. */
export async function unixExchange(
  path: string,
  line: string,
): Promise<string> {
  const client = await connectUnix(path);
  try {
    await client.write(line);
    return await client.readAll();
  } finally {
    client.close();
  }
}

/** A Deno unixpacket (SOCK_DGRAM) socket bound at `path`, as the client. */
export function denoUnixDatagram(path: string) {
  type Addr = { transport: "unixpacket"; path: string };
  const api = (globalThis as unknown as {
    Deno: {
      listenDatagram(options: Addr): {
        send(data: Uint8Array, to: Addr): Promise<number>;
        receive(): Promise<[Uint8Array, Addr]>;
        close(): void;
      };
    };
  }).Deno;
  return api.listenDatagram({ transport: "unixpacket", path });
}

/**
 * A TLS client of a server whose worker runs the handshake gets "own" for
 * "held" (the `Commands` handler), and a client that never starts its
 * handshake is dropped within the server's `handshakeTimeout`.
 */
export async function tlsInWorker(port: number, ca: string): Promise<void> {
  const silent = await Client.connect(port);
  try {
    const client = await tlsClient(port, ca);
    try {
      await client.write("held\n");
      assert.equal(await client.readAll(), "own\n");
    } finally {
      client.close();
    }
    assert.ok(await silent.closedWithin(5000), "the handshake limit holds");
  } finally {
    silent.close();
  }
}

/** A TLS client of `port`, handshake done, trusting `ca`. */
export function tlsClient(port: number, ca: string): Promise<Client> {
  return Client.fromSocket(
    tls.connect({ port, host: "127.0.0.1", ca, servername: "localhost" }),
    "secureConnect",
  );
}
