/**
 * `StreamServer`: the request methods shared by `TCPServer` and
 * `UnixStreamServer`, and their `tls` option.
 *
 * @module
 */

import { IdleWatch } from "../io/idle_watch.ts";
import { StreamSocket } from "../io/stream_socket.ts";
import { describe } from "../address.ts";
import { checkDuration, checkOptionKeys } from "../options.ts";
import type {
  NetAddress,
  SocketAddress,
  StreamConn,
  StreamListener,
  TlsOptions,
} from "../transport.ts";
import { SERVES_AT_CLOSE } from "./base_server.ts";
import { SocketServer, type SocketServerOptions } from "./socket_server.ts";

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/** Options of the `TCPServer` and `UnixStreamServer` constructors. */
export interface StreamServerOptions extends SocketServerOptions {
  /**
   * Serve TLS with the runtime's own TLS: `{ cert, key }` as PEM text,
   * optionally `handshakeTimeout` (ms, default 10 000) and `maxHandshakes`
   * (default 128). Handlers see plain bytes; a client whose handshake fails
   * or stalls never reaches them.
   */
  tls?: TlsOptions;
}

/** The keys {@linkcode StreamServerOptions} may have. */
export const STREAM_OPTION_KEYS = ["bindAndActivate", "driver", "tls"] as const;

/** Accept failures that clear up by themselves, once something closes. */
const OUT_OF_RESOURCES: ReadonlySet<string> = new Set([
  "EMFILE",
  "ENFILE",
  "ENOBUFS",
  "ENOMEM",
]);

/**
 * How long to wait before accepting again after `error`: out of
 * descriptors or memory, from 10 ms doubling up to 1 s, so an accept loop
 * does not spin while the pending connection cannot be taken; 0 for any
 * other failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptBackoff } from "./stream_server.ts";
 *
 * const emfile = Object.assign(new Error("too many"), { code: "EMFILE" });
 * assert.equal(acceptBackoff(0, emfile), 10);
 * assert.equal(acceptBackoff(640, emfile), 1000);
 * assert.equal(acceptBackoff(40, new Error("other")), 0);
 * ```
 *
 * @param previous The last wait (0 after a success).
 * @param error Why the accept failed.
 * @returns Milliseconds to wait.
 */
export function acceptBackoff(previous: number, error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && OUT_OF_RESOURCES.has(code)
    ? Math.min(Math.max(previous * 2, 10), 1000)
    : 0;
}

/**
 * The wait before a loop that accepts or receives for workers tries again:
 * {@linkcode acceptBackoff}, and at least 10 ms whatever failed, since
 * such a loop has nothing else to wait on and must not spin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryBackoff } from "./stream_server.ts";
 *
 * assert.equal(retryBackoff(0, new Error("other")), 10);
 * ```
 *
 * @param previous The last wait (0 after a success).
 * @param error Why it failed.
 * @returns Milliseconds to wait.
 */
export function retryBackoff(previous: number, error: unknown): number {
  return acceptBackoff(previous, error) || 10;
}

/** {@linkcode StreamServer.idleTimeout}'s default: five minutes. */
export const DEFAULT_IDLE_TIMEOUT = 300_000;

/**
 * Checks the `tls` option: `{ cert, key }`, both PEM text, and the optional
 * `handshakeTimeout` (ms) and `maxHandshakes` bounds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTlsOptions } from "./stream_server.ts";
 *
 * assert.equal(checkTlsOptions(undefined), undefined);
 * assert.throws(() => checkTlsOptions({ cert: "cert.pem", key: "key.pem" }), TypeError);
 * ```
 *
 * @param tls What the caller passed.
 * @returns A clean copy, or `undefined` for plain TCP.
 * @throws {TypeError} When `cert` or `key` is not PEM text.
 */
export function checkTlsOptions(tls: unknown): TlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== "object" || tls === null) {
    throw new TypeError("tls must be an object { cert, key }");
  }
  const { cert, key, handshakeTimeout, maxHandshakes, ...rest } = tls as Record<
    string,
    unknown
  >;
  checkOptionKeys(rest, [], "the tls option");
  for (const [name, value] of [["cert", cert], ["key", key]] as const) {
    if (typeof value !== "string" || !PEM.test(value)) {
      throw new TypeError(
        `tls.${name} must be PEM text ("-----BEGIN ..."), not a file name: read the file first`,
      );
    }
  }
  const checked: TlsOptions = { cert: cert as string, key: key as string };
  if (handshakeTimeout !== undefined) {
    if (
      typeof handshakeTimeout !== "number" || !(handshakeTimeout > 0) ||
      handshakeTimeout === Infinity
    ) {
      throw new RangeError(
        `tls.handshakeTimeout must be a finite number of milliseconds > 0, got ${
          describe(handshakeTimeout)
        }`,
      );
    }
    checked.handshakeTimeout = handshakeTimeout;
  }
  if (maxHandshakes !== undefined) {
    if (!Number.isSafeInteger(maxHandshakes) || (maxHandshakes as number) < 1) {
      throw new RangeError(
        `tls.maxHandshakes must be an integer >= 1, got ${
          describe(maxHandshakes)
        }`,
      );
    }
    checked.maxHandshakes = maxHandshakes as number;
  }
  return checked;
}

/**
 * Marks a server whose connections are served by workers that take them
 * over: its listener accepts them unread, and leaves TLS and the PROXY
 * header to the worker. A method on the class, given the listener's
 * family (`"tcp"` or `"unix"`), since the server binds in its constructor.
 */
export const PASSES_CONNECTIONS: unique symbol = Symbol("passes connections");

/**
 * Marks a server whose workers each listen on its port themselves
 * (`SO_REUSEPORT`): a method returning what turns the server's own
 * listener into the one its loop accepts from, or `undefined` where its
 * workers do not listen.
 */
export const SHARES_PORT: unique symbol = Symbol("shares port");

/**
 * Turns a server's own listener into the one its loop accepts from;
 * `reopen` opens the server's own listener again, with the same options.
 */
export type PortSharing = (
  own: StreamListener<NetAddress>,
  reopen: () => Promise<StreamListener<NetAddress>>,
) => StreamListener<NetAddress>;

/**
 * Marks a connection a worker accepted and serves itself: the server
 * neither reads its PROXY header nor watches it for idleness.
 */
export const SERVED_IN_WORKER: unique symbol = Symbol("served in worker");

/** How `server`'s workers share its port, if they do. */
export function portSharing(server: object): PortSharing | undefined {
  const { [SHARES_PORT]: shares } = server as {
    [SHARES_PORT]?: () => PortSharing | undefined;
  };
  return typeof shares === "function" ? shares.call(server) : undefined;
}

/** Returns what a child serving a server's connections must apply itself. */
export const HANDOFF_SETTINGS: unique symbol = Symbol("handoff settings");

/** What a child serving a stream server's connections applies itself. */
export interface HandoffSettings {
  /** The server's TLS: the child runs the handshakes. */
  tls?: TlsOptions;
  /** With `proxyProtocol`, how long the header may take; else `null`. */
  proxyHeaderTimeout: number | null;
  /** The server's `idleTimeout` when the pool started. */
  idleTimeout: number | null;
}

/** Whether `server` has its connections taken over by its workers. */
export function passesConnections(server: object): boolean {
  const { [PASSES_CONNECTIONS]: passes, addressFamily } = server as {
    [PASSES_CONNECTIONS]?: (family: "tcp" | "unix") => boolean;
    addressFamily?: string;
  };
  return typeof passes === "function" &&
    passes.call(server, addressFamily === "AF_UNIX" ? "unix" : "tcp");
}

/**
 * A server of connected streams: each connection is one request, a
 * {@linkcode StreamSocket}, closed by the server once its handler is done.
 *
 * @typeParam Addr The address type of the server and its clients.
 */
export abstract class StreamServer<Addr extends SocketAddress>
  extends SocketServer<StreamSocket, Addr, StreamListener<Addr>> {
  #idleTimeout: number | null = DEFAULT_IDLE_TIMEOUT;
  /** Milliseconds the last failed accept waited; 0 after a success. */
  #acceptBackoff = 0;
  /** Cuts connections handed out and not yet closed that go idle. */
  #idle = new IdleWatch(() => this.#idleTimeout);

  /** `"SOCK_STREAM"` (Python's attribute): each request is a connection. */
  get socketType(): "SOCK_STREAM" {
    return "SOCK_STREAM";
  }

  /**
   * Milliseconds a connection may go without a byte arriving or a write
   * starting before the server closes it (default 300 000; `null` for
   * never), checked every quarter of it (at most every second), so the cut
   * comes up to that much later. Its handler then reads end of stream, or
   * its stuck write fails.
   * This bounds clients that connect and go quiet, or stop reading; a
   * handler's `timeout` bounds each single read or write instead.
   */
  get idleTimeout(): number | null {
    return this.#idleTimeout;
  }

  set idleTimeout(ms: number | null) {
    checkDuration(ms, "idleTimeout");
    this.#idleTimeout = ms;
  }

  /**
   * What a child serving these connections applies itself.
   *
   * @ignore
   */
  [HANDOFF_SETTINGS](): HandoffSettings {
    return { idleTimeout: this.#idleTimeout, proxyHeaderTimeout: null };
  }

  /**
   * Closes the server. A concurrent server ({@linkcode SERVES_AT_CLOSE})
   * first takes the connections the runtime already accepted, then serves
   * them as it closes: their clients are in, and a load balancer cannot
   * retry them elsewhere. Others are reset, as Python's kernel backlog is.
   */
  override async serverClose(): Promise<void> {
    let accepted: StreamConn<Addr>[] = [];
    if (SERVES_AT_CLOSE in this && !this.closed) {
      try {
        accepted = this.boundSocket.takeAccepted?.() ?? [];
      } catch {
        // not bound, or already closing: nothing was accepted
      }
    }
    await super.serverClose();
    for (const conn of accepted) await this.requestAtClose(...this.#wrap(conn));
  }

  /**
   * Accepts the next connection. When the process is out of descriptors
   * (`EMFILE`, `ENFILE`) or memory, it waits before failing, from 10 ms
   * doubling up to 1 s, so the loop that retries does not spin while the
   * pending connection cannot be taken.
   */
  override async getRequest(): Promise<[StreamSocket, Addr]> {
    let conn: StreamConn<Addr>;
    try {
      conn = await this.boundSocket.accept();
      this.#acceptBackoff = 0;
    } catch (error) {
      this.#acceptBackoff = acceptBackoff(this.#acceptBackoff, error);
      if (this.#acceptBackoff > 0) {
        await new Promise((resolve) =>
          setTimeout(resolve, this.#acceptBackoff)
        );
      }
      throw error;
    }
    return this.#wrap(conn);
  }

  /**
   * A connection as a request, watched for idleness here unless a worker
   * takes it over (and cuts it idle there).
   */
  #wrap(conn: StreamConn<Addr>): [StreamSocket, Addr] {
    const socket = new StreamSocket(conn);
    if (!passesConnections(this) && !(SERVED_IN_WORKER in conn)) {
      this.#idle.watch(socket);
    }
    return [socket, conn.remoteAddress];
  }

  /**
   * Shuts the write side (errors ignored: the peer may be gone), then
   * `closeRequest()`.
   *
   * @param request The connection.
   */
  override async shutdownRequest(request: StreamSocket): Promise<void> {
    try {
      await request.shutdown();
    } catch {
      // Python ignores OSError here: "some platforms may raise ENOTCONN"
    }
    await this.closeRequest(request);
  }

  /**
   * Closes the connection.
   *
   * @param request The connection.
   */
  override closeRequest(request: StreamSocket): void {
    this.#idle.forget(request);
    request.close();
  }
}
