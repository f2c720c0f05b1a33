/**
 * What `ThreadingMixIn` and `ForkingMixIn` share: handlers run in a pool of
 * workers, fed by the server's own loop through `EventLoopMixIn`, which
 * bounds the requests in flight (`maxConnections`) and reports errors.
 *
 * @module
 */

import { settlesBy } from "../_deferred.ts";
import { describe } from "../address.ts";
import { NotSupportedError } from "../errors.ts";
import { checkDuration } from "../options.ts";
import { DatagramSocket } from "../io/datagram_socket.ts";
import { streamConnOf, StreamSocket } from "../io/stream_socket.ts";
import type { ServeForeverOptions } from "../server/base_server.ts";
import { WorkerPool } from "../pool/worker_pool.ts";
import {
  HANDOFF_SETTINGS,
  type HandoffSettings,
  PASSES_CONNECTIONS,
  passesConnections,
  type PortSharing,
  portSharing,
  SERVED_IN_WORKER,
  SHARES_PORT,
  type StreamServer,
} from "../server/stream_server.ts";
import { type Driver, resolveDriver } from "../driver.ts";
import type { SocketAddress } from "../transport.ts";
import { SharedListener } from "../pool/shared_listener.ts";
import { SharedEndpoint } from "../pool/shared_endpoint.ts";
import {
  checkPacketSize,
  type DatagramPortSharing,
  SHARES_DATAGRAM_PORT,
} from "../server/datagram_server.ts";
import {
  EventLoopMixIn,
  type EventLoopServer,
  type MixableServer,
  TIMES_OUT_ITSELF,
} from "./event_loop_mixin.ts";

/** The members of a socket server that a worker pool builds on. */
export interface PoolableServer extends MixableServer {
  /** Where the server listens. */
  // deno-lint-ignore no-explicit-any
  serverAddress: any;
  /** The handler, which workers load from its module. */
  readonly RequestHandlerClass: unknown;
  /** The driver that starts workers. */
  readonly driver: Driver;
  /** The listen backlog, which threads listening themselves take too. */
  requestQueueSize: number;
  /** Binds the address. */
  serverBind(): Promise<void>;
  /** Starts serving. */
  serverActivate(): void | Promise<void>;
  /** Stops the loops. */
  shutdown(): Promise<void>;
  /** Serves until `shutdown()`. */
  serveForever(options?: ServeForeverOptions): Promise<void>;
}

/** Any socket server class: `TCPServer`, `UDPServer`, ... */
export type PoolableServerClass = abstract new (
  // deno-lint-ignore no-explicit-any
  ...args: any[]
) => PoolableServer;

/** What both worker mix-ins add to a server. */
export interface PoolServer extends EventLoopServer {
  /**
   * Copied to every worker when it starts, as `this.server.workerData`:
   * the way to give handlers settings, since workers share no memory with
   * the server. JSON values only (child processes get it as JSON).
   */
  workerData: unknown;
  /**
   * Milliseconds a request may run in a worker (default `null`: no limit).
   * Past it the worker is stopped, since a thread busy computing cannot be
   * interrupted otherwise; every request it was serving is reported through
   * `handleError` with a `WorkerError`, and a new worker takes its place.
   */
  handlerTimeout: number | null;
  /**
   * How many workers are running: the pool size while the server is
   * active, 0 once `serverClose()` has stopped them.
   */
  readonly activeWorkers: number;
}

/** A pool mix-in's class: `Base` with the pool's members. */
export type PoolMixed<T extends PoolableServerClass> =
  & T
  // deno-lint-ignore no-explicit-any
  & (abstract new (...args: any[]) => PoolServer & {
    readonly activeChildren: ReadonlySet<number>;
  });

/**
 * Throws a `NotSupportedError` when the server's driver cannot start the
 * workers `kind` needs: in the constructor, before the server binds.
 * Options the server itself rejects are left to it.
 */
function refuseWithoutWorkers(
  options: unknown,
  kind: "thread" | "process",
): void {
  let driver: Driver;
  try {
    const given = (options as { driver?: Driver } | undefined)?.driver;
    driver = resolveDriver(given);
    if (typeof driver.unsupported !== "function") return;
  } catch {
    return;
  }
  const missing = driver.unsupported(
    kind === "thread" ? "threads" : "processes",
  );
  if (missing) throw new NotSupportedError(missing);
}

/**
 * The server's methods that must see each request: a UDP server that
 * overrides one has its workers hold each datagram for the server's loop.
 */
const PER_REQUEST_HOOKS = [
  "verifyRequest",
  "processRequest",
  "finishRequest",
  "shutdownRequest",
  "closeRequest",
] as const;

/** How a pool mix-in sizes and stops its pool. */
interface PoolPolicy {
  kind: "thread" | "process";
  /** The pool size, read from the server when it is activated. */
  size(server: PoolableServer): number;
  /** Whether `serverClose()` stops workers at once. */
  daemon(server: PoolableServer): boolean;
  /** The option's name, for errors. */
  sizeName: string;
  /** The setting by which workers listen on the server's port themselves. */
  listens: {
    name: "listenInThreads" | "listenInChildren";
    of(server: PoolableServer): boolean;
  };
}

/**
 * How a stream server's connections reach its workers: whether they
 * listen on its port themselves, and whether those its own socket accepts
 * are passed over (else their bytes are relayed).
 */
interface Route {
  listens: boolean;
  passes: boolean;
}

/** The number of cores, or 2 where the runtime does not say. */
export function defaultPoolSize(): number {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number })
    ?.hardwareConcurrency;
  return Number.isInteger(cores) && cores! > 0 ? cores! : 2;
}

/**
 * Where workers find a handler: its `static module` (the URL of the module
 * that exports it) and its name. Checked in the constructor, before any
 * socket is opened.
 */
function handlerLocation(
  handler: unknown,
  what: string,
): { module: string; exportName: string } {
  const name = typeof handler === "function" ? handler.name : "";
  const module = typeof handler === "function"
    ? (handler as { module?: unknown }).module
    : undefined;
  if (typeof module !== "string" || !URL.canParse(module) || name === "") {
    throw new TypeError(
      `${what} runs handlers in workers, which load the handler from its module: export ${
        name || describe(handler)
      } under its own name and give it \`static module = import.meta.url\` (got module ${
        describe(module)
      })`,
    );
  }
  return { module, exportName: name };
}

/**
 * Builds a pool mix-in: `EventLoopMixIn(Base)` whose `finishRequest` runs
 * the handler in a worker.
 */
export function poolMixIn<T extends PoolableServerClass>(
  Base: T,
  policy: PoolPolicy,
): PoolMixed<T> {
  const what = policy.kind === "thread" ? "ThreadingMixIn" : "ForkingMixIn";
  abstract class Pooled extends EventLoopMixIn(Base) implements PoolServer {
    workerData: unknown = undefined;
    override handlerTimeout: number | null = null;
    readonly [TIMES_OUT_ITSELF] = true;
    #pool: WorkerPool | undefined;
    /** Set when children serve the connections themselves. */
    #handoff: HandoffSettings | undefined;
    #location: { module: string; exportName: string };
    /** The server's socket while its workers listen on its port. */
    #shared: SharedListener | SharedEndpoint | undefined;
    #sharing: PortSharing | null | undefined;
    /** Decided (and checked) once, when the server binds. */
    #route: Route | undefined;
    /** Running `serveForever` loops: UDP workers serve on their own meanwhile. */
    #loops = 0;

    // deno-lint-ignore no-explicit-any
    constructor(...args: any[]) {
      const location = handlerLocation(args[1], what);
      refuseWithoutWorkers(args[2], policy.kind);
      super(...args);
      this.#location = location;
    }

    /**
     * With `listenInThreads` or `listenInChildren`, the workers listen on a
     * TCP port themselves. Otherwise child processes take each connection
     * over, as threads do where the driver can move a socket to one; the
     * others get the bytes relayed. Asked for each connection too, so
     * decided once, when the server binds, where an unsupported setting
     * fails before any socket is opened.
     */
    #routeFor(family: "tcp" | "unix" | "udp"): Route {
      if (this.#route !== undefined) return this.#route;
      const { driver } = this;
      const listens = policy.listens.of(this);
      if (listens) {
        const why = family === "unix"
          ? "Unix sockets cannot share a port"
          : (policy.kind === "thread"
            ? driver.unsupported("threadListeners")
            : undefined) ??
            driver.unsupported(family === "udp" ? "udpReusePort" : "reusePort");
        if (why !== undefined) {
          throw new NotSupportedError(`${policy.listens.name}: ${why}`);
        }
      }
      const tls = HANDOFF_SETTINGS in this &&
        (this as unknown as StreamServer<SocketAddress>)[HANDOFF_SETTINGS]()
            .tls !== undefined;
      const passes = policy.kind === "process" ||
        (family === "tcp" &&
          driver.unsupported(tls ? "threadHandoverTls" : "threadHandover") ===
            undefined);
      return this.#route = { listens: !!listens, passes };
    }

    /**
     * Whether workers take over each connection the server's own socket
     * accepts: all of them, or, while the workers listen themselves, those
     * it accepts while none does (children, and Node's threads; Deno's and
     * Bun's threads get those relayed).
     */
    [PASSES_CONNECTIONS](family: "tcp" | "unix"): boolean {
      return this.#routeFor(family).passes;
    }

    /** Where the workers listen on the port: what the server's own listener becomes. */
    [SHARES_PORT](): PortSharing | undefined {
      if (this.#sharing !== undefined) return this.#sharing ?? undefined;
      const tcp = HANDOFF_SETTINGS in this &&
        (this as { addressFamily?: string }).addressFamily !== "AF_UNIX";
      this.#sharing = tcp && this.#routeFor("tcp").listens
        ? (own, reopen) =>
          this.#shared = new SharedListener(
            own,
            reopen,
            () => this.#pool?.unshare(),
            (error) => void this.#report(error),
          )
        : null;
      return this.#sharing ?? undefined;
    }

    /** Where the workers bind a UDP server's port: what its own socket becomes. */
    [SHARES_DATAGRAM_PORT](): DatagramPortSharing | undefined {
      if (this.#datagramFamily() !== "udp" || !this.#routeFor("udp").listens) {
        return undefined;
      }
      return (own, rebind) =>
        this.#shared = new SharedEndpoint(
          own,
          rebind,
          () => this.#pool?.unshare(),
          (error) => void this.#report(error),
        );
    }

    /** A datagram server's family; `undefined` for a stream server. */
    #datagramFamily(): "udp" | "unix" | undefined {
      if (HANDOFF_SETTINGS in this) return undefined;
      const family = (this as { addressFamily?: string }).addressFamily;
      return family === "AF_UNIX" ? "unix" : "udp";
    }

    /**
     * Refuses `listenInThreads`/`listenInChildren` on a datagram server
     * that cannot share its port before it binds (a Unix one, or where the
     * runtime's UDP sockets have no `SO_REUSEPORT`).
     */
    override serverBind(): Promise<void> {
      const family = this.#datagramFamily();
      if (family !== undefined) {
        try {
          this.#routeFor(family);
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return super.serverBind();
    }

    get activeWorkers(): number {
      return this.#pool?.size ?? 0;
    }

    get activeChildren(): ReadonlySet<number> {
      return new Set(this.#pool?.pids);
    }

    /** Starts the workers, then the server: a handler that cannot load fails here. */
    override async serverActivate(): Promise<void> {
      const size = policy.size(this);
      if (!Number.isInteger(size) || size < 1) {
        throw new RangeError(
          `${policy.sizeName} must be a positive integer, got ${size}`,
        );
      }
      checkDuration(this.handlerTimeout, "handlerTimeout");
      // Read once, for workers that receive on the port themselves.
      const packetSize = this.#shared instanceof SharedEndpoint
        ? checkPacketSize((this as { maxPacketSize?: number }).maxPacketSize)
        : 0;
      let workerData: unknown;
      try {
        workerData = JSON.parse(JSON.stringify(this.workerData ?? null));
      } catch (error) {
        throw new TypeError(`workerData must be JSON values: ${error}`);
      }
      const passes = passesConnections(this);
      const pool = new WorkerPool({
        kind: policy.kind,
        size,
        ...this.#location,
        server: {
          serverAddress: { ...this.serverAddress } as SocketAddress,
          workerData,
        },
        handlerTimeout: this.handlerTimeout,
        shutdown: () => this.shutdown(),
        report: (error) => this.#report(error),
        packetFailed: (data, from, error) =>
          void this.#packetFailed(data, from, error),
        driver: this.driver,
        passes,
        handoff: this.#handoff = (passes || portSharing(this) !== undefined) &&
            HANDOFF_SETTINGS in this
          ? (this as unknown as StreamServer<SocketAddress>)
            [HANDOFF_SETTINGS]()
          : undefined,
      });
      this.#pool = pool;
      await pool.start();
      const shared = this.#shared;
      if (shared) {
        const { hostname, port } = shared.address;
        await pool.share(
          shared,
          this.driver.name,
          shared instanceof SharedEndpoint
            ? {
              udp: { hostname, port, reusePort: true },
              maxPacketSize: packetSize,
            }
            : {
              tcp: {
                hostname,
                port,
                backlog: this.requestQueueSize,
                reusePort: true,
                tls: this.#handoff?.tls,
              },
            },
        );
        // What the server's own socket took before the workers bound the
        // port is cut as theirs is.
        if (shared instanceof SharedEndpoint) shared.maxSize = packetSize;
        // The workers hold the port now: ready() means the server's own
        // socket no longer takes clients.
        await shared.release();
        void this.#serveOnTheirOwn();
      }
      await super.serverActivate();
    }

    /**
     * While a loop runs, a UDP server's workers serve what they receive on
     * their own; between loops they hold it for the next (as Python's
     * socket keeps datagrams for the next `serve_forever`).
     */
    override async serveForever(options?: ServeForeverOptions): Promise<void> {
      this.#loops++;
      void this.#serveOnTheirOwn();
      try {
        await super.serveForever(options);
      } finally {
        this.#loops--;
        // Once the loop returns, workers serve nothing more on their own;
        // one busy computing answers late, and is not waited for past 1 s.
        if (this.#shared instanceof SharedEndpoint) {
          await settlesBy(this.#serveOnTheirOwn(), Date.now() + 1000);
        }
      }
    }

    /**
     * Tells a UDP server's workers whether to serve on their own: only
     * while a loop runs, with no `handlerTimeout` (the server times each
     * request) and none of the hooks that must see each request
     * overridden; else the server's loop gets each datagram first.
     */
    #serveOnTheirOwn(): Promise<void> {
      if (!(this.#shared instanceof SharedEndpoint)) return Promise.resolve();
      const auto = this.#loops > 0 && this.handlerTimeout === null &&
        PER_REQUEST_HOOKS.every((hook) =>
          (this as Record<string, unknown>)[hook] ===
            (Pooled.prototype as unknown as Record<string, unknown>)[hook]
        );
      return this.#pool?.serveOnTheirOwn(auto) ?? Promise.resolve();
    }

    /** A handler a UDP worker ran on its own failed: `handleError`, as Python. */
    async #packetFailed(
      data: Uint8Array,
      from: SocketAddress,
      error: Error,
    ): Promise<void> {
      this.#replies ??= new DatagramSocket(this.#shared as SharedEndpoint);
      try {
        await this.handleError([data, this.#replies], from, error);
      } catch {
        // as a request's: a handleError that throws stops nothing
      }
    }

    /** The socket `handleError` sees in a datagram a worker served on its own. */
    #replies: DatagramSocket<SocketAddress> | undefined;

    /** A worker that could not be replaced, through `handleError`. */
    async #report(error: Error): Promise<void> {
      try {
        // No request failed: the request is undefined, the address the server's.
        await this.handleError(undefined, this.serverAddress, error);
      } catch {
        // a handleError that throws must not stop the pool retrying
      }
    }

    /**
     * Takes a request only once a worker can serve it: while every worker
     * is being replaced, clients wait in the kernel's queue.
     */
    override async processRequest(
      request: unknown,
      clientAddress: unknown,
    ): Promise<void> {
      await this.#pool?.servable();
      await super.processRequest(request, clientAddress);
    }

    /**
     * The peer, when a worker accepted the connection or takes it over: it
     * reads a PROXY header itself, where the bytes arrive.
     */
    override clientAddressOf(request: unknown, peer: unknown): unknown {
      if (
        this.#handoff && request instanceof StreamSocket &&
        (SERVED_IN_WORKER in streamConnOf(request) || passesConnections(this))
      ) return peer;
      return super.clientAddressOf(request, peer);
    }

    /** Ends a request; one a child serves is closed there. */
    override shutdownRequest(request: unknown): void | Promise<void> {
      this.#pool?.closeRequest(request);
      return super.shutdownRequest(request);
    }

    /** Runs the handler in a worker; rejects with the error it threw there. */
    override async finishRequest(
      request: unknown,
      clientAddress: unknown,
    ): Promise<void> {
      const pool = this.#pool;
      if (!pool) throw new Error("finishRequest(): the server is not active");
      // deno-lint-ignore no-explicit-any
      await pool.run(request as any, clientAddress as SocketAddress);
    }

    /**
     * Closes the server, then its workers once the running requests are
     * done: waiting for them (`blockOnClose`, the default) or in the
     * background (`blockOnClose = false`, or daemon threads).
     */
    override async serverClose(): Promise<void> {
      const pool = this.#pool;
      const block = this.blockOnClose;
      const grace = this.closeGrace;
      const deadline = grace === null ? Infinity : Date.now() + grace;
      // Daemon threads are never waited for, whatever blockOnClose says.
      if (policy.daemon(this)) this.blockOnClose = false;
      try {
        await super.serverClose();
      } finally {
        this.blockOnClose = block;
      }
      if (!pool) return;
      // Handlers UDP workers run on their own are waited for as requests,
      // up to closeGrace.
      if (this.blockOnClose && !policy.daemon(this)) {
        await settlesBy(pool.drained(), deadline);
        await pool.close();
      } else {
        void pool.idle().then(() => pool.drained()).then(() => pool.close());
      }
    }
  }
  return Pooled;
}
