/**
 * `TCPServer`: a stream server on an IPv4 or IPv6 address.
 *
 * @module
 */

import { checkNetAddress } from "../address.ts";
import { deferred } from "../_deferred.ts";
import { resolveDriver } from "../driver.ts";
import { NotSupportedError, ServerClosedError } from "../errors.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import { StreamSocket } from "../io/stream_socket.ts";
import { checkOptionKeys } from "../options.ts";
import type { Driver, NetAddress, StreamListener } from "../transport.ts";
import { BaseServer } from "./base_server.ts";

/** Options of the {@linkcode TCPServer} constructor. */
export interface TCPServerOptions {
  /**
   * Bind and listen right away (the default). With `false`, set options on
   * the server, then call `serverBind()` and `serverActivate()`.
   */
  bindAndActivate?: boolean;
  /**
   * The socket driver; by default the one for the running runtime. Pass
   * `driver` from `adapters/node.ts` to use `node:net` on any runtime.
   */
  driver?: Driver;
}

const OPTION_KEYS = ["bindAndActivate", "driver"] as const;

/**
 * A TCP server that serves one connection at a time, as Python's. For each
 * connection the handler gets a {@linkcode StreamSocket} as `request`.
 *
 * `serverAddress` is `{ hostname, port }`; port 0 picks a free port, and
 * after `ready()` `serverAddress` holds the real one.
 *
 * @example The echo server from Python's documentation
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { StreamRequestHandler, TCPServer } from "../../mod.ts";
 *
 * class LineEcho extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, LineEcho);
 * await server.ready();
 * const serving = server.serveForever();
 * const reply = await new Promise<string>((resolve) => {
 *   const client = connect(server.serverAddress.port, "127.0.0.1", () => client.end("hello\n"));
 *   let text = "";
 *   client.on("data", (data) => text += data);
 *   client.on("end", () => resolve(text));
 * });
 * assert.equal(reply, "hello\n");
 * await server.shutdown();
 * await serving;
 * ```
 */
export class TCPServer extends BaseServer<StreamSocket, NetAddress> {
  /**
   * Python's `allow_reuse_address`. Deno, Bun and Node always set
   * `SO_REUSEADDR` on listeners and cannot turn it off, so `false` behaves as
   * `true`; the field is kept so Python code ports unchanged.
   */
  allowReuseAddress = false;
  /**
   * Set `SO_REUSEPORT`, so several servers may bind one port (Linux). Needs
   * Node 22.12+, or `--unstable-net` on Deno's native driver.
   */
  allowReusePort = false;
  /**
   * The listen backlog. On Bun and Node, which accept eagerly, it also bounds
   * the connections accepted but not yet served; past it they are reset.
   */
  requestQueueSize = 128;

  #driver: Driver | undefined;
  #listener: StreamListener | undefined;
  #bound = false;
  #ready = deferred();
  #bindError: unknown;

  /**
   * Makes the server and, unless `bindAndActivate` is `false`, starts
   * binding it; `ready()` tells when it listens.
   *
   * @param serverAddress `{ hostname, port }`; an IPv4 or IPv6 literal or a
   * host name, and a port from 0 to 65535.
   * @param RequestHandlerClass A `BaseRequestHandler` subclass, or a function
   * `(request, clientAddress, server)`.
   * @param options `bindAndActivate` (default `true`) and `driver`.
   * @throws {TypeError} For a malformed address, handler or option.
   * @throws {RangeError} For a port outside 0-65535.
   */
  constructor(
    serverAddress: NetAddress,
    RequestHandlerClass: RequestHandlerClass<
      StreamSocket,
      NetAddress,
      // deno-lint-ignore no-explicit-any
      any
    >,
    options: TCPServerOptions = {},
  ) {
    checkOptionKeys(options, OPTION_KEYS, "TCPServer options");
    const { bindAndActivate = true, driver } = options;
    if (typeof bindAndActivate !== "boolean") {
      throw new TypeError("bindAndActivate must be a boolean");
    }
    if (
      driver !== undefined &&
      (typeof driver !== "object" || driver === null ||
        typeof driver.listenTcp !== "function")
    ) {
      throw new TypeError("driver must be a Driver from adapters/*.ts");
    }
    super(checkNetAddress(serverAddress), RequestHandlerClass);
    this.#driver = driver;
    this.#ready.promise.catch(() => {}); // callers see it; nobody must
    if (bindAndActivate) {
      // After the subclass constructors, so their field overrides apply.
      queueMicrotask(() => void this.#bindAndActivate());
    }
  }

  /** `"AF_INET6"` for an IPv6 address, else `"AF_INET"` (Python's attribute). */
  get addressFamily(): "AF_INET" | "AF_INET6" {
    return this.serverAddress.hostname.includes(":") ? "AF_INET6" : "AF_INET";
  }

  /**
   * Resolves once the server is bound and listening; rejects with the bind
   * error (a `SocketError` with `code` `EADDRINUSE`, `EACCES`, ...), in which
   * case the server is already closed.
   *
   * @returns The server itself.
   */
  override async ready(): Promise<this> {
    if (this.#bindError !== undefined) throw this.#bindError;
    await super.ready();
    await this.#ready.promise;
    return this;
  }

  /**
   * Binds the address (Python's `server_bind`) and updates `serverAddress`
   * with the real one. The runtimes bind and listen in one call, so clients
   * can connect from here on.
   */
  async serverBind(): Promise<void> {
    if (this.closed) throw new ServerClosedError();
    if (this.#bound) {
      throw new Error("serverBind(): the server is already bound");
    }
    const backlog = this.requestQueueSize;
    if (!Number.isInteger(backlog) || backlog < 1) {
      throw new RangeError(
        `requestQueueSize must be a positive integer, got ${backlog}`,
      );
    }
    if (typeof this.allowReusePort !== "boolean") {
      throw new TypeError("allowReusePort must be a boolean");
    }
    this.#bound = true;
    try {
      const driver = await resolveDriver(this.#driver);
      const listener = await driver.listenTcp({
        hostname: this.serverAddress.hostname,
        port: this.serverAddress.port,
        backlog,
        reusePort: this.allowReusePort,
      });
      if (this.closed) {
        await listener.close();
        throw new ServerClosedError();
      }
      this.#listener = listener;
      this.serverAddress = { ...listener.address };
    } catch (error) {
      this.#bound = false;
      throw error;
    }
  }

  /** Finishes activation (the listen happened in `serverBind()`). */
  override serverActivate(): void {
    if (!this.#listener) {
      throw new Error("serverActivate(): call serverBind() first");
    }
    this.#ready.resolve();
  }

  /**
   * The listening socket's file descriptor; -1 when not bound or closed.
   *
   * @throws {NotSupportedError} On a runtime that hides descriptors (Deno).
   */
  fileno(): number {
    if (!this.#listener) return -1;
    const fd = this.#listener.fd;
    if (fd === undefined) {
      throw new NotSupportedError(
        "fileno(): this runtime does not expose socket descriptors",
      );
    }
    return fd;
  }

  /** Accepts the next connection. */
  override async getRequest(): Promise<[StreamSocket, NetAddress]> {
    if (!this.#listener) {
      throw this.closed ? new ServerClosedError() : new Error("not bound");
    }
    const conn = await this.#listener.accept();
    return [new StreamSocket(conn), conn.remoteAddress];
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
    request.close();
  }

  /** Stops listening; connections not yet served are reset. */
  override async serverClose(): Promise<void> {
    if (this.closed) return;
    await super.serverClose();
    this.#ready.reject(new ServerClosedError());
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.close();
  }

  async #bindAndActivate(): Promise<void> {
    try {
      await this.serverBind();
      await this.serverActivate();
    } catch (error) {
      this.#bindError = error; // ready() reports the real cause, not "closed"
      this.#ready.reject(error);
      await this.serverClose(); // bpo-22435: a failed bind leaks nothing
    }
  }
}
