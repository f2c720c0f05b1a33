// Shared test helpers: the drivers to test on this runtime, a node:net
// client that reads by pull, and descriptor counting. node:net clients run
// unchanged on Deno, Bun and Node.

import { readdirSync } from "node:fs";
import * as net from "node:net";
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
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: hostname, allowHalfOpen: true });
      socket.once("error", reject);
      socket.once("connect", () => {
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
