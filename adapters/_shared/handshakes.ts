/**
 * The bound on TLS handshakes in progress, shared by the drivers that run
 * TLS through callbacks (Bun's and `node:tls`). Each handshake gets a
 * deadline, and at most `limit` run at once: past it the oldest is
 * dropped, so a flood of clients that connect and stay silent holds a
 * bounded number of descriptors and cannot lock out real clients, whose
 * handshakes take milliseconds.
 *
 * @module
 */

import {
  MAX_TLS_HANDSHAKES,
  TLS_HANDSHAKE_TIMEOUT_MS,
  type TlsOptions,
} from "../../src/transport.ts";

/**
 * Handshakes in progress, oldest first, each with its deadline timer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HandshakeGate } from "./handshakes.ts";
 *
 * const dropped: string[] = [];
 * const gate = new HandshakeGate<string>(
 *   { maxHandshakes: 2 },
 *   (item) => dropped.push(item),
 * );
 * gate.begin("a");
 * gate.begin("b");
 * gate.begin("c"); // a third past the limit of 2: the oldest goes
 * assert.deepEqual(dropped, ["a"]);
 * assert.equal(gate.end("b"), true); // b finished its handshake
 * gate.close(); // c is dropped with the listener
 * assert.deepEqual(dropped, ["a", "c"]);
 * ```
 *
 * @typeParam T A connection whose handshake runs.
 */
export class HandshakeGate<T> {
  #limit: number;
  #timeout: number;
  #drop: (item: T) => void;
  /** Insertion order is age: the first entry is the oldest. */
  #pending = new Map<T, ReturnType<typeof setTimeout>>();

  /**
   * @param bounds The server's `tls` option: `maxHandshakes` at once (default
   * {@linkcode MAX_TLS_HANDSHAKES}), each within `handshakeTimeout` ms
   * (default {@linkcode TLS_HANDSHAKE_TIMEOUT_MS}).
   * @param drop Closes a connection whose handshake is given up.
   */
  constructor(
    bounds: Pick<TlsOptions, "maxHandshakes" | "handshakeTimeout">,
    drop: (item: T) => void,
  ) {
    this.#limit = bounds.maxHandshakes ?? MAX_TLS_HANDSHAKES;
    this.#timeout = bounds.handshakeTimeout ?? TLS_HANDSHAKE_TIMEOUT_MS;
    this.#drop = drop;
  }

  /** How many handshakes are in progress. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * A handshake starts: it gets its deadline, and the oldest one is
   * dropped if the limit is reached.
   *
   * @param item The new connection.
   */
  begin(item: T): void {
    while (this.#pending.size >= this.#limit) {
      const oldest = this.#pending.keys().next().value as T;
      this.#giveUp(oldest);
    }
    const timer = setTimeout(() => this.#giveUp(item), this.#timeout);
    this.#pending.set(item, timer);
  }

  /**
   * The handshake ended (it succeeded, or the connection closed).
   *
   * @param item The connection.
   * @returns Whether it was still in progress here.
   */
  end(item: T): boolean {
    const timer = this.#pending.get(item);
    if (timer === undefined) return false;
    clearTimeout(timer);
    this.#pending.delete(item);
    return true;
  }

  /** Drops every handshake in progress (the listener closed). */
  close(): void {
    for (const item of [...this.#pending.keys()]) this.#giveUp(item);
  }

  #giveUp(item: T): void {
    if (this.end(item)) this.#drop(item);
  }
}
