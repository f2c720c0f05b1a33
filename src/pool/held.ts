/**
 * What a worker that listens on the server's port holds for the server's
 * word (`port_share.ts`, `packet_share.ts`): connections or datagrams,
 * numbered, and a wait for room while it holds `HELD_MAX`.
 *
 * @module
 */

/**
 * Connections or datagrams a worker holds for the server's word at most:
 * past it the worker stops taking them, and clients wait in its kernel
 * queue. It bounds what a flood costs while the server is busy.
 */
export const HELD_MAX = 64;

/** Items held by number until the server serves or drops them. */
export class Held<T> {
  #items = new Map<number, T>();
  #next = 0;
  #room: (() => void) | undefined;

  /** How many are held. */
  get size(): number {
    return this.#items.size;
  }

  /** Holds `item`; returns its number. */
  add(item: T): number {
    const n = ++this.#next;
    this.#items.set(n, item);
    return n;
  }

  /** Takes item `n` out; `undefined` if it is gone. */
  take(n: number): T | undefined {
    const item = this.#items.get(n);
    this.#items.delete(n);
    this.wake();
    return item;
  }

  /** Forgets every item. */
  clear(): void {
    this.#items.clear();
    this.wake();
  }

  /** Resolves at the next {@linkcode take}, {@linkcode clear} or {@linkcode wake}. */
  room(): Promise<void> {
    return new Promise((resolve) => this.#room = resolve);
  }

  /** Wakes whoever waits for room. */
  wake(): void {
    const room = this.#room;
    this.#room = undefined;
    room?.();
  }
}
