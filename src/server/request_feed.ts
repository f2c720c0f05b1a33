/**
 * The requests a server's loops wait for: one `getRequest()` at a time,
 * kept across timeouts so none is lost, and one timer shared by every wait
 * with a deadline.
 *
 * @module
 */

import { ServerClosedError, SocketError } from "../errors.ts";

/** `poll()` found no request before its deadline. */
export const TIMEOUT: unique symbol = Symbol("timeout");
/** `poll()` was told to stop, or the server closed. */
export const STOP: unique symbol = Symbol("stop");
/** The fetch failed with a socket error, which Python ignores. */
export const NOTHING: unique symbol = Symbol("nothing");

/** A request that `getRequest()` produced, or why there is none. */
type Fetch<Req, Addr> = {
  done: boolean;
  value?: [Req, Addr];
  error?: unknown;
};

/**
 * Requests fetched one at a time, for loops that wait for them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestFeed, TIMEOUT } from "./request_feed.ts";
 *
 * const feed = new RequestFeed<string, string>(
 *   () => new Promise(() => {}), // no request ever comes
 *   () => {},
 * );
 * assert.equal(await feed.poll(10, () => false), TIMEOUT);
 * feed.disarmIfIdle();
 * ```
 */
export class RequestFeed<Req, Addr> {
  #getRequest: () => Promise<[Req, Addr]>;
  #late: (value: [Req, Addr]) => void;
  /** The request being fetched; kept across timeouts so none is lost. */
  #fetching: Fetch<Req, Addr> | undefined;
  /**
   * What loops and `handleRequest` calls wait on: one promise for all of
   * them, settled by the next {@linkcode wakeAll}; `undefined` while
   * nobody waits.
   */
  #wakeup: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /**
   * One timer shared by every wait with a deadline, left armed between
   * requests: a server answering many small requests (datagrams) would
   * otherwise set and clear a timer for each.
   */
  #alarm: ReturnType<typeof setTimeout> | undefined;
  #alarmAt = Infinity;

  /**
   * @param getRequest The server's `getRequest()`.
   * @param late Gets a request that arrives after {@linkcode take} gave up
   * on it.
   */
  constructor(
    getRequest: () => Promise<[Req, Addr]>,
    late: (value: [Req, Addr]) => void,
  ) {
    this.#getRequest = getRequest;
    this.#late = late;
  }

  /**
   * Ends the fetch in progress: returns its request if it has one; one
   * still to come goes to `late`.
   */
  take(): [Req, Addr] | undefined {
    const fetching = this.#fetching;
    this.#fetching = undefined;
    if (fetching && !fetching.done) fetching.done = true;
    return fetching?.value;
  }

  /**
   * Waits up to `waitMs` for a request. Returns it, `TIMEOUT`, `STOP`
   * (when `stopped()` says so, or `getRequest()` failed with
   * `ServerClosedError`), or `NOTHING` (it failed with a socket error,
   * which Python ignores).
   */
  async poll(
    waitMs: number | null,
    stopped: () => boolean,
  ): Promise<[Req, Addr] | typeof TIMEOUT | typeof STOP | typeof NOTHING> {
    let deadline = Infinity;
    let waited = false;
    for (;;) {
      // bpo-35017: after shutdown, a request that is ready stays queued.
      if (stopped()) return STOP;
      const fetching = this.#fetching ??= this.#fetch();
      if (fetching.done) {
        this.#fetching = undefined;
        if (fetching.value) return fetching.value;
        if (fetching.error instanceof ServerClosedError) return STOP;
        if (fetching.error instanceof SocketError) return NOTHING;
        throw fetching.error;
      }
      // The deadline starts at the first wait: one clock read per request.
      if (waitMs !== null) {
        if (!waited) deadline = performance.now() + waitMs;
        else if (deadline <= performance.now()) return TIMEOUT;
      }
      waited = true;
      if (deadline !== Infinity) this.#armAlarm(deadline);
      await (this.#wakeup ??= new Promise<void>((resolve) => {
        this.#wake = resolve;
      }));
    }
  }

  /** Makes sure every waiter is woken by `at` (they re-check their own deadline). */
  #armAlarm(at: number): void {
    if (this.#alarm !== undefined && this.#alarmAt <= at) return;
    if (this.#alarm !== undefined) clearTimeout(this.#alarm);
    this.#alarmAt = at;
    this.#alarm = setTimeout(() => {
      this.#alarm = undefined;
      this.#alarmAt = Infinity;
      this.wakeAll();
    }, Math.max(at - performance.now(), 0));
  }

  /** Stops the shared timer once nothing waits, so it keeps no process alive. */
  disarmIfIdle(): void {
    if (this.#alarm === undefined || this.#wakeup !== undefined) return;
    clearTimeout(this.#alarm);
    this.#alarm = undefined;
    this.#alarmAt = Infinity;
  }

  /** Starts `getRequest()`; one handler per fetch, however long it waits. */
  #fetch(): Fetch<Req, Addr> {
    const fetching: Fetch<Req, Addr> = { done: false };
    this.#getRequest().then(
      (value) => {
        if (fetching.done) {
          // after serverClose: served or closed, never leaked
          this.#late(value);
          return;
        }
        fetching.done = true;
        fetching.value = value;
        this.wakeAll();
      },
      (error) => {
        fetching.done = true;
        fetching.error = error;
        this.wakeAll();
      },
    );
    return fetching;
  }

  /** Wakes every waiter, to look again. */
  wakeAll(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    this.#wakeup = undefined;
    wake?.();
  }
}
