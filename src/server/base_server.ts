/**
 * `BaseServer`: the request loop shared by every server class.
 *
 * @module
 */

import { noteServerConstructed } from "../_handler_module.ts";
import { describeAddress } from "../address.ts";
import { deferred } from "../_deferred.ts";
import { ServerClosedError } from "../errors.ts";
import type { RequestHandlerClass } from "../handler/base_handler.ts";
import { checkHandlerClass, runHandler } from "../handler/run_handler.ts";
import { checkDuration } from "../options.ts";
import { NOTHING, RequestFeed, STOP, TIMEOUT } from "./request_feed.ts";

/** Options of {@linkcode BaseServer.serveForever}. */
export interface ServeForeverOptions {
  /**
   * Milliseconds between calls of `serviceActions()` while idle (default
   * 500); `null` calls it only after requests. Unlike Python, shutdown does
   * not wait for this interval.
   */
  pollInterval?: number | null;
}

/**
 * Marks a server whose `serverClose()` serves a request accepted but not
 * yet handed to a loop, instead of closing it. Its client was already let
 * in by the kernel: closing it loses a request that a load balancer cannot
 * retry elsewhere. The concurrent servers have it, as they serve while they
 * close anyway.
 */
export const SERVES_AT_CLOSE: unique symbol = Symbol("servesAtClose");

/**
 * Returns the requests a server is running now: `closeOnSignals` says how
 * many it waits for, and ends those left when its grace period is over.
 */
export const RUNNING_REQUESTS: unique symbol = Symbol("running requests");

/**
 * The base of all servers: Python's `BaseServer`. It owns the request loop
 * (`serveForever`, `handleRequest`, `shutdown`) and the hooks a subclass
 * overrides, called in Python's order: `getRequest` → `verifyRequest` →
 * `processRequest` → `finishRequest` → `shutdownRequest` → `closeRequest`,
 * with `handleError` when the handler throws.
 *
 * Subclasses implement {@linkcode BaseServer.getRequest}; `TCPServer` is the
 * one to use.
 *
 * @typeParam Req What `getRequest()` yields and handlers get as `request`.
 * @typeParam Addr The client address type.
 *
 * @example A server fed from a queue instead of a socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { BaseServer } from "../../mod.ts";
 *
 * const seen: string[] = [];
 * class QueueServer extends BaseServer<string, string> {
 *   queue = ["a", "b"];
 *   override getRequest(): Promise<[string, string]> {
 *     const item = this.queue.shift();
 *     if (item === undefined) return new Promise(() => {}); // nothing more
 *     return Promise.resolve([item, "queue"]);
 *   }
 * }
 * const server = new QueueServer("queue", (request: string) => {
 *   seen.push(request);
 * });
 * await server.handleRequest();
 * await server.handleRequest();
 * assert.deepEqual(seen, ["a", "b"]);
 * await server.serverClose();
 * ```
 */
export abstract class BaseServer<Req, Addr> {
  /** The address the server listens on; after binding, the real one. */
  serverAddress: Addr;
  /** Makes the handler for each request. */
  // deno-lint-ignore no-explicit-any
  readonly RequestHandlerClass: RequestHandlerClass<Req, Addr, any>;
  /**
   * Milliseconds `handleRequest()` waits before calling `handleTimeout()`;
   * `null` (the default) waits forever. `serveForever()` ignores it.
   */
  timeout: number | null = null;

  #closed = false;
  /** Running `serveForever` loops. */
  #loops = 0;
  #shutdownRequested = false;
  /** Settled when no loop runs; unsettled until the first loop has ended. */
  #stopped = deferred();
  #everStopped = false;
  /** Requests as they come, and the waits for them. */
  #feed: RequestFeed<Req, Addr> = new RequestFeed(
    () => this.getRequest(),
    (value) => void this.requestAtClose(...value),
  );
  #stopsLoop = () => this.#closed || this.#shutdownRequested;
  #stopsRequest = () => this.#closed;
  /**
   * The requests `processRequest()` is serving: one, unless overridden, so
   * it takes a slot, and a set only for more (a set per datagram showed in
   * profiles: a key's first use in a set hashes it in the runtime).
   */
  #running: Req | undefined;
  #slotUsed = false;
  #alsoRunning: Set<Req> | undefined;

  /**
   * Stores the address and handler; opens nothing.
   *
   * @param serverAddress Where to serve; its shape depends on the subclass.
   * @param RequestHandlerClass A `BaseRequestHandler` subclass, or a function
   * `(request, clientAddress, server)`.
   */
  constructor(
    serverAddress: Addr,
    RequestHandlerClass: RequestHandlerClass<Req, Addr, BaseServer<Req, Addr>>,
  ) {
    checkHandlerClass(RequestHandlerClass);
    // In a worker importing a one-file program: give the handler, stop.
    noteServerConstructed(RequestHandlerClass);
    this.serverAddress = serverAddress;
    this.RequestHandlerClass = RequestHandlerClass;
  }

  /** `true` once {@linkcode BaseServer.serverClose} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves once the server can take requests; `serveForever()` and
   * `handleRequest()` wait for it. Here at once; `TCPServer` waits for its
   * bind.
   *
   * @returns The server itself.
   */
  ready(): Promise<this> {
    return this.#closed
      ? Promise.reject(new ServerClosedError())
      : Promise.resolve(this);
  }

  /** Starts listening; a no-op here (Python's `server_activate`). */
  serverActivate(): void | Promise<void> {}

  /**
   * Handles requests until {@linkcode BaseServer.shutdown} or
   * {@linkcode BaseServer.serverClose}. Calls `serviceActions()` after each
   * request and every `pollInterval` ms while idle. Several loops may run on
   * one server (a pool of loops, as Python's threads calling it); each takes
   * its own requests.
   *
   * @param options `pollInterval` in ms (default 500).
   * @throws {ServerClosedError} If the server is already closed.
   * @throws {SocketError} If the server could not bind (`ready()` rejected).
   */
  async serveForever(options: ServeForeverOptions = {}): Promise<void> {
    const pollInterval = options.pollInterval === undefined
      ? 500
      : options.pollInterval;
    checkDuration(pollInterval, "pollInterval");
    // Counted before the first await, so an immediate shutdown() sees it.
    if (this.#loops++ === 0 && this.#everStopped) this.#stopped = deferred();
    try {
      await this.ready();
      for (;;) {
        const got = await this.#feed.poll(pollInterval, this.#stopsLoop);
        if (got === STOP) break;
        if (got !== TIMEOUT && got !== NOTHING) {
          await this.#handle(got[0], got[1]);
        }
        const actions = this.serviceActions();
        if (actions instanceof Promise) await actions;
      }
    } finally {
      if (--this.#loops === 0) {
        this.#feed.disarmIfIdle();
        this.#shutdownRequested = false;
        this.#everStopped = true;
        this.#stopped.resolve();
      }
    }
  }

  /**
   * Asks every `serveForever` loop to stop and resolves once they have
   * returned. A loop waiting for a client stops at once; one busy with a
   * request stops after it. On a server that has not served yet, it waits
   * for the first loop, which then returns without serving (as Python).
   * Once loops have run and ended, it resolves at once and does not affect
   * the next loop (unlike Python).
   *
   * In a handler of a server that serves one request at a time, do not
   * `await` it: the loop cannot stop before the handler returns.
   */
  async shutdown(): Promise<void> {
    if (this.#loops === 0 && this.#everStopped) return;
    this.#shutdownRequested = true;
    this.#feed.wakeAll();
    await this.#stopped.promise;
  }

  /** Called once per loop iteration of `serveForever`; does nothing here. */
  serviceActions(): void | Promise<void> {}

  /**
   * Handles one request, waiting at most `timeout` ms for it; on timeout
   * returns what `handleTimeout()` returns.
   *
   * @returns `undefined`, or `handleTimeout()`'s result.
   * @throws {ServerClosedError} If the server is or becomes closed.
   */
  async handleRequest(): Promise<unknown> {
    const timeout = this.timeout;
    checkDuration(timeout, "timeout");
    await this.ready();
    let got;
    try {
      got = await this.#feed.poll(timeout, this.#stopsRequest);
    } finally {
      if (this.#loops === 0) this.#feed.disarmIfIdle();
    }
    if (got === TIMEOUT) return await this.handleTimeout();
    if (got === STOP) throw new ServerClosedError();
    if (got !== NOTHING) await this.#handle(got[0], got[1]);
    return undefined;
  }

  /** Called when `handleRequest()` times out; does nothing here. */
  handleTimeout(): unknown {
    return undefined;
  }

  /**
   * Waits for and returns the next request and its client address.
   * A `SocketError` here is ignored, as Python ignores `OSError`.
   */
  abstract getRequest(): Promise<[Req, Addr]>;

  /**
   * Decides whether to serve a request; `true` by default. A refused
   * request goes to `shutdownRequest()` without a handler.
   *
   * @param _request The request.
   * @param _clientAddress The client's address.
   * @returns Whether to serve it.
   */
  verifyRequest(
    _request: Req,
    _clientAddress: Addr,
  ): boolean | Promise<boolean> {
    return true;
  }

  /**
   * Serves a request: `finishRequest()`, then `shutdownRequest()`. Mix-ins
   * override it to serve concurrently.
   *
   * @param request The request.
   * @param clientAddress The client's address.
   */
  async processRequest(request: Req, clientAddress: Addr): Promise<void> {
    const inSlot = !this.#slotUsed;
    if (inSlot) {
      this.#slotUsed = true;
      this.#running = request;
    } else (this.#alsoRunning ??= new Set()).add(request);
    try {
      const resolved = this.clientAddressOf(request, clientAddress);
      await this.finishRequest(
        request,
        resolved instanceof Promise ? await resolved : resolved,
      );
      const shut = this.shutdownRequest(request);
      if (shut instanceof Promise) await shut;
    } finally {
      if (inSlot) {
        this.#slotUsed = false;
        this.#running = undefined;
      } else this.#alsoRunning!.delete(request);
    }
  }

  /**
   * The requests being served now.
   *
   * @ignore
   */
  [RUNNING_REQUESTS](): Req[] {
    const running = this.#alsoRunning ? [...this.#alsoRunning] : [];
    if (this.#slotUsed) running.unshift(this.#running!);
    return running;
  }

  /**
   * The `clientAddress` the handler gets for a request from `peer`: `peer`
   * itself here. `TCPServer` with `proxyProtocol` reads it from the PROXY
   * header instead. It runs where the handler runs (after `verifyRequest`,
   * which sees `peer`): on a concurrent server a slow client holds up only
   * its own request, on a sequential one every request behind it.
   *
   * @param _request The request.
   * @param peer The address `getRequest()` returned.
   * @returns The client's address.
   */
  clientAddressOf(_request: Req, peer: Addr): Addr | Promise<Addr> {
    return peer;
  }

  /**
   * Runs the handler: `setup()`, `handle()`, `finish()`.
   *
   * @param request The request.
   * @param clientAddress The client's address.
   */
  finishRequest(request: Req, clientAddress: Addr): Promise<void> {
    // Not async: an idle connection then holds one suspended frame less.
    return runHandler(this.RequestHandlerClass, request, clientAddress, this);
  }

  /**
   * Ends a request; here it only calls `closeRequest()`.
   *
   * @param request The request.
   */
  shutdownRequest(request: Req): void | Promise<void> {
    return this.closeRequest(request);
  }

  /**
   * Releases a request; does nothing here.
   *
   * @param _request The request.
   */
  closeRequest(_request: Req): void | Promise<void> {}

  /**
   * Reports a handler's error; the server then ends the request and goes
   * on. The default prints Python's report to stderr: a rule, the client's
   * address, the stack, a rule. Unlike Python the error is passed in.
   *
   * @param _request The request.
   * @param clientAddress The client's address.
   * @param error What the handler threw.
   */
  handleError(
    _request: Req,
    clientAddress: Addr,
    error: unknown,
  ): void | Promise<void> {
    const rule = "-".repeat(40);
    const detail = error instanceof Error
      ? (error.stack ?? `${error.name}: ${error.message}`)
      : String(error);
    console.error(
      `${rule}\nException occurred during processing of request from ${
        describeAddress(clientAddress)
      }\n${detail}\n${rule}`,
    );
  }

  /**
   * Closes the server. Loops in `serveForever` return, and waiting
   * `handleRequest` calls reject. Subclasses extend it and call `super`.
   * Safe to call more than once.
   */
  async serverClose(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#feed.wakeAll();
    this.#feed.disarmIfIdle();
    if (this.#loops === 0) {
      // a shutdown() waiting for a first loop that will never come
      this.#everStopped = true;
      this.#stopped.resolve();
    }
    // A request fetched but never served is served or closed, not leaked.
    const fetched = this.#feed.take();
    if (fetched) await this.requestAtClose(...fetched);
  }

  /**
   * A request accepted but not yet handed to a loop when the server closes:
   * closed, as Python does, unless the server has {@linkcode SERVES_AT_CLOSE}
   * (the concurrent servers, which serve while they close).
   *
   * @param request The request.
   * @param clientAddress The client's address.
   */
  protected async requestAtClose(
    request: Req,
    clientAddress: Addr,
  ): Promise<void> {
    if (!(SERVES_AT_CLOSE in this)) return this.closeRequest(request);
    try {
      await this.#handle(request, clientAddress);
    } catch {
      // #handle reports through handleError; nothing is left to do
    }
  }

  /** Closes the server at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.serverClose();
  }

  /** One request through Python's `_handle_request_noblock`. */
  async #handle(request: Req, clientAddress: Addr): Promise<void> {
    let verified: boolean;
    try {
      // Most hooks answer at once: await only a promise (a turn saved).
      const verdict = this.verifyRequest(request, clientAddress);
      verified = verdict instanceof Promise ? await verdict : verdict;
    } catch (error) {
      await this.#quietShutdown(request); // Python leaks the connection here
      throw error;
    }
    if (!verified) {
      await this.shutdownRequest(request);
      return;
    }
    try {
      await this.processRequest(request, clientAddress);
    } catch (error) {
      try {
        await this.handleError(request, clientAddress, error);
      } finally {
        await this.#quietShutdown(request); // even if handleError throws
      }
    }
  }

  async #quietShutdown(request: Req): Promise<void> {
    try {
      await this.shutdownRequest(request);
    } catch {
      // the original error matters more
    }
  }
}
