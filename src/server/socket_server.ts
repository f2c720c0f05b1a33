/**
 * `SocketServer`: what every socket-backed server class shares, from
 * binding to closing. The four concrete classes only say how to open their
 * socket and how to fetch a request.
 *
 * @module
 */

import { deferred } from "../_deferred.ts";
import { type Driver, resolveDriver } from "../driver.ts";
import { describeAddress } from "../address.ts";
import {
  NotSupportedError,
  ServerClosedError,
  socketErrorAt,
} from "../errors.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import { checkOptionKeys } from "../options.ts";
import type { SocketAddress } from "../transport.ts";
import { BaseServer } from "./base_server.ts";

/** Options every socket server's constructor takes. */
export interface SocketServerOptions {
  /**
   * Bind and activate right away (the default). With `false`, set options
   * on the server, then call `serverBind()` and `serverActivate()`.
   */
  bindAndActivate?: boolean;
  /**
   * The socket driver; by default the one for the running runtime. Pass
   * `driver` from `adapters/node.ts` to use Node's sockets on any runtime.
   */
  driver?: Driver;
}

/** What a server binds: a listener or a datagram socket. */
export interface BoundSocket<Addr> {
  /** The bound address. */
  readonly address: Addr;
  /** The descriptor, or `undefined` where the runtime hides it. */
  readonly fd: number | undefined;
  /** Closes the socket. */
  close(): Promise<void>;
}

/**
 * Checks the options common to every socket server and returns the driver.
 *
 * @param options What the caller passed.
 * @param keys Every key the class accepts.
 * @param what The class name, for messages.
 * @returns The driver to use.
 */
export function checkSocketServerOptions(
  options: SocketServerOptions,
  keys: readonly string[],
  what: string,
): Driver {
  checkOptionKeys(options, keys, `${what} options`);
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
  return resolveDriver(driver);
}

/**
 * The binding life cycle of Python's `TCPServer.__init__`, shared by
 * `TCPServer`, `UDPServer`, `UnixStreamServer` and `UnixDatagramServer`:
 * bind and activate after construction unless told not to, `ready()`,
 * `fileno()`, and a `serverClose()` that leaks nothing when binding failed.
 *
 * @typeParam Req What `getRequest()` yields.
 * @typeParam Addr The address type of the server and its clients.
 * @typeParam Sock What `openSocket()` returns.
 */
export abstract class SocketServer<
  Req,
  Addr extends SocketAddress,
  Sock extends BoundSocket<Addr>,
> extends BaseServer<Req, Addr> {
  /**
   * Python's `allow_reuse_address`. Deno, Bun and Node always set
   * `SO_REUSEADDR` on listeners and cannot turn it off, so `false` behaves as
   * `true`; the field is kept so Python code ports unchanged.
   */
  allowReuseAddress = false;
  /**
   * Set `SO_REUSEPORT`, so several servers may bind one port (Linux). Needs
   * Node 22.12+, or `--unstable-net` on Deno's native driver. Ignored for
   * Unix sockets, as Python 3.12+ ignores it.
   */
  allowReusePort = false;
  /**
   * The listen backlog of stream servers. On Bun and Node, which accept
   * eagerly, it also bounds the connections accepted but not yet served;
   * past it they are reset. Datagram servers do not use it.
   */
  requestQueueSize = 128;

  /**
   * The driver this server opens its socket (and starts its workers) with:
   * the `driver` option, or the one for the running runtime.
   */
  readonly driver: Driver;
  #socket: Sock | undefined;
  #bound = false;
  #ready = deferred();
  #bindError: unknown;

  /**
   * Stores what the subclass checked and, unless `bindAndActivate` is
   * `false`, starts binding once the subclass constructors have run.
   *
   * @param serverAddress The checked address.
   * @param RequestHandlerClass The handler.
   * @param driver The checked driver.
   * @param bindAndActivate Whether to bind right away.
   */
  protected constructor(
    serverAddress: Addr,
    // deno-lint-ignore no-explicit-any
    RequestHandlerClass: RequestHandlerClass<Req, Addr, any>,
    driver: Driver,
    bindAndActivate: boolean,
  ) {
    super(serverAddress, RequestHandlerClass);
    this.driver = driver;
    this.#ready.promise.catch(() => {}); // callers see it; nobody must
    if (bindAndActivate) {
      // After the subclass constructors, so their field overrides apply.
      queueMicrotask(() => void this.#bindAndActivate());
    }
  }

  /**
   * Opens the socket at `serverAddress`: the subclass's one difference.
   */
  protected abstract openSocket(): Promise<Sock>;

  /** The bound socket; throws when there is none. */
  protected get boundSocket(): Sock {
    if (!this.#socket) {
      throw this.closed ? new ServerClosedError() : new Error("not bound");
    }
    return this.#socket;
  }

  /**
   * Resolves once the server is bound and activated; rejects with the bind
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
   * with the real one. The runtimes bind and listen in one call, so stream
   * clients can connect from here on.
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
      const socket = await this.openSocket();
      if (this.closed) {
        await socket.close();
        throw new ServerClosedError();
      }
      this.#socket = socket;
      this.serverAddress = { ...socket.address };
    } catch (error) {
      this.#bound = false;
      const datagrams = (this as { socketType?: string }).socketType ===
        "SOCK_DGRAM";
      throw socketErrorAt(
        error,
        datagrams ? "bind" : "listen on",
        describeAddress(this.serverAddress),
      );
    }
  }

  /** Finishes activation (the runtimes listen in `serverBind()`). */
  override serverActivate(): void {
    if (!this.#socket) {
      throw new Error("serverActivate(): call serverBind() first");
    }
    this.#ready.resolve();
  }

  /**
   * The socket's file descriptor; -1 when not bound or closed.
   *
   * @throws {NotSupportedError} On a runtime that hides descriptors (Deno).
   */
  fileno(): number {
    if (!this.#socket) return -1;
    const fd = this.#socket.fd;
    if (fd === undefined) {
      throw new NotSupportedError(
        "fileno(): this runtime does not expose socket descriptors",
      );
    }
    return fd;
  }

  /**
   * Closes the socket first, so new clients are refused from then on (a
   * load balancer retries them elsewhere); then the server, which serves or
   * closes the request it had accepted. Connections the driver queued but
   * the server never took are reset.
   */
  override async serverClose(): Promise<void> {
    if (this.closed) return;
    const socket = this.#socket;
    this.#socket = undefined;
    // No await before super.serverClose() marks the server closed, so no
    // one sees it unbound yet open.
    const closing = socket?.close();
    await super.serverClose();
    this.#ready.reject(new ServerClosedError());
    await closing;
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
