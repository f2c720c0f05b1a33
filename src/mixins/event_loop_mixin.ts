/**
 * `EventLoopMixIn`: handlers run concurrently as tasks on the one event
 * loop, at most `maxConnections` at a time. The JavaScript-native way to
 * serve many I/O-bound clients; Python has no such mix-in.
 *
 * With it, the predefined servers: `EventLoopTCPServer`, `EventLoopUDPServer`,
 * `EventLoopUnixStreamServer` and `EventLoopUnixDatagramServer`.
 *
 * @module
 */

import { type Deferred, deferred, settlesBy } from "../_deferred.ts";
import { TimeoutError } from "../errors.ts";
import { checkDuration } from "../options.ts";
import { RUNNING_REQUESTS, SERVES_AT_CLOSE } from "../server/base_server.ts";
import { TCPServer } from "../server/tcp_server.ts";
import { UDPServer } from "../server/udp_server.ts";
import { UnixDatagramServer } from "../server/unix_datagram_server.ts";
import { UnixStreamServer } from "../server/unix_stream_server.ts";

/**
 * Marks a server class whose `finishRequest` enforces `handlerTimeout`
 * itself (the worker pools), so the event loop does not time it out twice.
 */
export const TIMES_OUT_ITSELF: unique symbol = Symbol("times out itself");

/** The request hooks of `BaseServer` a mix-in builds on. */
export interface MixableServer {
  /** Serves a request (the mix-ins override it). */
  // deno-lint-ignore no-explicit-any
  processRequest(request: any, clientAddress: any): Promise<void>;
  /** Runs the handler. */
  // deno-lint-ignore no-explicit-any
  finishRequest(request: any, clientAddress: any): Promise<void>;
  /** The handler's client address for a request from `peer`. */
  // deno-lint-ignore no-explicit-any
  clientAddressOf(request: any, peer: any): unknown;
  /** Ends a request. */
  // deno-lint-ignore no-explicit-any
  shutdownRequest(request: any): void | Promise<void>;
  /** Reports a handler's error. */
  handleError(
    // deno-lint-ignore no-explicit-any
    request: any,
    // deno-lint-ignore no-explicit-any
    clientAddress: any,
    error: unknown,
  ): void | Promise<void>;
  /** Closes the server. */
  serverClose(): Promise<void>;
}

/** Any server class, concrete or abstract: `TCPServer`, `UDPServer`, ... */
// deno-lint-ignore no-explicit-any
export type ServerClass = abstract new (...args: any[]) => MixableServer;

/** What {@linkcode EventLoopMixIn} adds to a server. */
export interface EventLoopServer {
  /**
   * How many handlers may run at once (default 1024). When all are busy the
   * server stops taking requests, so new clients wait in the kernel's
   * backlog (or its receive buffer, for datagrams) instead of in memory.
   */
  maxConnections: number;
  /**
   * Whether `serverClose()` waits for running handlers (default `true`, as
   * Python's `block_on_close`). With `false` they still run to the end.
   */
  blockOnClose: boolean;
  /**
   * How long `serverClose()` waits for running handlers, in ms (default
   * 30 000; `null` waits as long as they run, as Python does). Past it, the
   * requests still running are closed: their handlers read end of stream
   * or fail to write, and `serverClose()` returns.
   */
  closeGrace: number | null;
  /**
   * How long one request's handler may run, in ms (default `null`: no
   * limit). Past it the request is closed and a `TimeoutError` reported
   * through `handleError`; the server serves on. A handler that never
   * settles (a promise nobody resolves) is abandoned, not stopped: the
   * worker servers stop their worker instead.
   */
  handlerTimeout: number | null;
  /** How many handlers are running now. */
  readonly activeConnections: number;
}

/**
 * The class {@linkcode EventLoopMixIn} returns: `Base` with
 * {@linkcode EventLoopServer}'s members.
 */
export type EventLoopMixed<T extends ServerClass> =
  & T
  // deno-lint-ignore no-explicit-any
  & (abstract new (...args: any[]) => EventLoopServer);

/**
 * Makes a server class serve requests concurrently on the event loop: each
 * request's handler runs as its own task, and the loop takes the next
 * request at once, up to `maxConnections` running handlers.
 *
 * Choose it for I/O-bound handlers (most servers): it costs no threads and
 * no copies. A handler that computes for long blocks every other client,
 * since all share one thread; use `ThreadingMixIn` or `ForkingMixIn` there.
 *
 * @example Two slow clients served side by side (about 200 ms, not 400)
 * ```ts
 * import assert from "node:assert/strict";
 * import { connect } from "node:net";
 * import { EventLoopMixIn, StreamRequestHandler, TCPServer } from "../../mod.ts";
 *
 * class Slow extends StreamRequestHandler {
 *   override async handle() {
 *     const line = await this.rfile.readline();
 *     await new Promise((resolve) => setTimeout(resolve, 200)); // I/O wait
 *     await this.wfile.write(line);
 *   }
 * }
 * class Server extends EventLoopMixIn(TCPServer) {
 *   override maxConnections = 100;
 * }
 *
 * await using server = new Server({ hostname: "127.0.0.1", port: 0 }, Slow);
 * await server.ready();
 * const serving = server.serveForever();
 * const ask = (text: string) =>
 *   new Promise<string>((resolve) => {
 *     const client = connect(server.serverAddress.port, "127.0.0.1", () => client.write(text));
 *     let reply = "";
 *     client.on("data", (data) => reply += data);
 *     client.on("end", () => resolve(reply));
 *   });
 * assert.deepEqual(await Promise.all([ask("a\n"), ask("b\n")]), ["a\n", "b\n"]);
 * await server.shutdown();
 * await serving;
 * ```
 *
 * @param Base The server class to extend (`TCPServer`, `UDPServer`, ...).
 * @returns An abstract subclass; extend it (or use `EventLoopTCPServer` and
 * its siblings).
 */
export function EventLoopMixIn<T extends ServerClass>(
  Base: T,
): EventLoopMixed<T> {
  abstract class EventLoop extends Base implements EventLoopServer {
    /** A request accepted as the server closes is served, as the others. */
    readonly [SERVES_AT_CLOSE] = true;
    maxConnections = 1024;
    blockOnClose = true;
    closeGrace: number | null = 30_000;
    handlerTimeout: number | null = null;
    /** Each running handler's request (to close at the end), and its task. */
    #active = new Map<unknown, Promise<void>>();
    #freed: Deferred<void> | undefined;

    get activeConnections(): number {
      return this.#active.size;
    }

    /** Every running handler's request. */
    [RUNNING_REQUESTS](): unknown[] {
      return [...this.#active.keys()];
    }

    /**
     * Starts the handler as its own task and returns once it runs, waiting
     * first while `maxConnections` handlers are busy.
     */
    override async processRequest(
      request: unknown,
      clientAddress: unknown,
    ): Promise<void> {
      const max = this.maxConnections;
      if (!Number.isInteger(max) || max < 1) {
        // The loop reports this through handleError, then ends the request.
        throw new RangeError(
          `maxConnections must be a positive integer, got ${max}`,
        );
      }
      while (this.#active.size >= max) {
        this.#freed ??= deferred();
        await this.#freed.promise;
      }
      this.#active.set(request, this.#serve(request, clientAddress));
    }

    /**
     * Python's `process_request_thread`: never rejects. Not async in the
     * common case (no PROXY header, no `handlerTimeout`): an idle client
     * then costs one reaction here, not a suspended frame.
     */
    #serve(request: unknown, peer: unknown): Promise<void> {
      let running: Promise<void>;
      try {
        const limit = this.handlerTimeout;
        checkDuration(limit, "handlerTimeout");
        const resolved = this.clientAddressOf(request, peer);
        if (
          resolved instanceof Promise ||
          (limit !== null && !(TIMES_OUT_ITSELF in this))
        ) return this.#serveSlowly(request, peer, resolved, limit);
        running = Promise.resolve(this.finishRequest(request, resolved));
      } catch (error) {
        return this.#failed(request, peer, error);
      }
      return running.then(
        () => this.#end(request),
        (error) => this.#failed(request, peer, error),
      );
    }

    /** `#serve` waiting for a PROXY header, or timing the handler out. */
    async #serveSlowly(
      request: unknown,
      peer: unknown,
      resolved: unknown,
      limit: number | null,
    ): Promise<void> {
      let clientAddress = peer;
      try {
        clientAddress = resolved instanceof Promise ? await resolved : resolved;
        const running = this.finishRequest(request, clientAddress);
        if (limit === null) await running;
        else if (!await settlesBy(running, Date.now() + limit)) {
          running.catch(() => {}); // its late failure was already reported
          throw new TimeoutError(
            `handler ran longer than handlerTimeout (${limit} ms)`,
          );
        }
      } catch (error) {
        return this.#failed(request, clientAddress, error);
      }
      return this.#end(request);
    }

    /** Reports a failed request through `handleError`, then ends it. */
    async #failed(
      request: unknown,
      clientAddress: unknown,
      error: unknown,
    ): Promise<void> {
      try {
        await this.handleError(request, clientAddress, error);
      } catch (failure) {
        // Nobody awaits this task, so the report must not be lost.
        console.error("handleError() failed:", failure);
      }
      return this.#end(request);
    }

    /** Closes the request and frees its place under `maxConnections`. */
    async #end(request: unknown): Promise<void> {
      try {
        await this.shutdownRequest(request);
      } catch {
        // the peer may be gone; nothing is left to release
      } finally {
        // After an await: processRequest has stored this request's task.
        this.#active.delete(request);
        const freed = this.#freed;
        this.#freed = undefined;
        freed?.resolve();
      }
    }

    /**
     * Closes the server, then, if `blockOnClose`, waits up to `closeGrace`
     * for running handlers and closes the requests of those still running.
     */
    override async serverClose(): Promise<void> {
      const grace = this.closeGrace;
      checkDuration(grace, "closeGrace");
      await super.serverClose();
      if (!this.blockOnClose) return;
      const deadline = grace === null ? Infinity : Date.now() + grace;
      while (this.#active.size > 0) {
        const running = Promise.all(this.#active.values());
        if (await settlesBy(running, deadline)) continue;
        // Past the grace period: a handler blocked on its client ends now.
        await Promise.all(
          [...this.#active.keys()].map(async (request) => {
            try {
              await this.shutdownRequest(request);
            } catch {
              // the peer may be gone; nothing is left to release
            }
          }),
        );
        return;
      }
    }
  }
  return EventLoop;
}

/** `TCPServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopTCPServer`. */
export const TCPServerEventLoop: EventLoopMixed<typeof TCPServer> =
  EventLoopMixIn(
    TCPServer,
  );

/**
 * `TCPServer` serving connections concurrently on the event loop.
 *
 * @example
 * ```ts
 * import { EventLoopTCPServer, StreamRequestHandler } from "../../mod.ts";
 *
 * await using server = new EventLoopTCPServer({ hostname: "127.0.0.1", port: 0 }, StreamRequestHandler);
 * server.maxConnections = 100;
 * await server.ready();
 * ```
 */
export class EventLoopTCPServer extends TCPServerEventLoop {}

/** `UDPServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopUDPServer`. */
export const UDPServerEventLoop: EventLoopMixed<typeof UDPServer> =
  EventLoopMixIn(
    UDPServer,
  );

/**
 * `UDPServer` serving datagrams concurrently on the event loop.
 *
 * @example
 * ```ts
 * import { DatagramRequestHandler, EventLoopUDPServer } from "../../mod.ts";
 *
 * await using server = new EventLoopUDPServer({ hostname: "127.0.0.1", port: 0 }, DatagramRequestHandler);
 * await server.ready();
 * ```
 */
export class EventLoopUDPServer extends UDPServerEventLoop {}

/** `UnixStreamServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopUnixStreamServer`. */
export const UnixStreamServerEventLoop: EventLoopMixed<
  typeof UnixStreamServer
> = EventLoopMixIn(
  UnixStreamServer,
);

/**
 * `UnixStreamServer` serving connections concurrently on the event loop.
 *
 * @example
 * ```ts ignore
 * import { EventLoopUnixStreamServer, StreamRequestHandler } from "../../mod.ts";
 *
 * await using server = new EventLoopUnixStreamServer({ path: "/tmp/s.sock" }, StreamRequestHandler);
 * await server.serveForever();
 * ```
 */
export class EventLoopUnixStreamServer extends UnixStreamServerEventLoop {}

/** `UnixDatagramServer` with {@linkcode EventLoopMixIn}: the base of `EventLoopUnixDatagramServer`. */
export const UnixDatagramServerEventLoop: EventLoopMixed<
  typeof UnixDatagramServer
> = EventLoopMixIn(
  UnixDatagramServer,
);

/**
 * `UnixDatagramServer` serving datagrams concurrently on the event loop
 * (where the runtime has Unix datagram sockets).
 *
 * @example
 * ```ts ignore
 * import { DatagramRequestHandler, EventLoopUnixDatagramServer } from "../../mod.ts";
 *
 * await using server = new EventLoopUnixDatagramServer({ path: "/tmp/d.sock" }, DatagramRequestHandler);
 * await server.serveForever();
 * ```
 */
export class EventLoopUnixDatagramServer extends UnixDatagramServerEventLoop {}
