/**
 * The idle cut of stream connections: one timer per server (or per worker
 * that serves connections itself), not per connection or per read.
 *
 * @module
 */

import type { StreamSocket } from "./stream_socket.ts";

/**
 * Aborts connections that go `timeout()` ms without a byte arriving or a
 * write starting, checked every quarter of it (at most every second).
 *
 * @example
 * ```ts
 * import { IdleWatch } from "./idle_watch.ts";
 *
 * const watch = new IdleWatch(() => 300_000);
 * // watch.watch(socket) for each connection, watch.forget(socket) at its end
 * watch.stop();
 * ```
 */
export class IdleWatch {
  #timeout: () => number | null;
  /** Each connection's activity count when last seen to change, and when. */
  #open = new Map<StreamSocket, { seen: number; since: number }>();
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /**
   * @param timeout The idle limit in ms, read at each check (it may change);
   * `null` for none.
   */
  constructor(timeout: () => number | null) {
    this.#timeout = timeout;
  }

  /** Starts watching a connection, if there is a limit. */
  watch(socket: StreamSocket): void {
    const idle = this.#timeout();
    if (idle === null) return;
    this.#open.set(socket, { seen: socket.activity, since: Date.now() });
    this.#sweeper ??= setInterval(
      () => this.#sweep(),
      Math.min(Math.max(idle / 4, 10), 1000),
    );
  }

  /** Stops watching a connection (it is closed). */
  forget(socket: StreamSocket): void {
    this.#open.delete(socket);
    this.#stopIfIdle();
  }

  /** Stops watching every connection. */
  stop(): void {
    this.#open.clear();
    this.#stopIfIdle();
  }

  #sweep(): void {
    const idle = this.#timeout();
    const now = Date.now();
    for (const [socket, mark] of this.#open) {
      if (socket.closed || idle === null) this.#open.delete(socket);
      else if (socket.activity !== mark.seen) {
        mark.seen = socket.activity;
        mark.since = now;
      } else if (now - mark.since >= idle) {
        this.#open.delete(socket);
        socket.abort(); // a stalled write must not linger
      }
    }
    this.#stopIfIdle();
  }

  /** Nothing to watch: no timer to keep the process alive. */
  #stopIfIdle(): void {
    if (this.#open.size > 0 || this.#sweeper === undefined) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
