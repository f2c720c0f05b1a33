/**
 * Who owns a descriptor on its way from the server to a worker thread. The
 * server duplicates a connection's descriptor and posts the copy; until
 * the worker takes it, either side may be the one to close it: the worker
 * once it serves it, the server if the worker dies first. A shared array
 * settles it with one atomic exchange per descriptor, so it is closed
 * exactly once and never twice (a second close could hit a reused number).
 *
 * @module
 */

/** Descriptors one worker may have on their way at once. */
const TICKETS = 4096;
const FREE = 0;
const SENT = 1;
const TAKEN = 2;

/**
 * The tickets of one worker: state and descriptor, side by side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Claims } from "./claims.ts";
 *
 * const server = new Claims();
 * const worker = new Claims(server.buffer);
 * const ticket = server.claim(41);
 * const lost = server.claim(42);
 * assert.equal(worker.take(ticket), 41);
 * const closed: number[] = [];
 * server.reclaim((fd) => closed.push(fd)); // the worker died
 * assert.deepEqual(closed, [42]);
 * assert.equal(worker.take(lost), undefined, "the server closed it");
 * ```
 */
export class Claims {
  /** What both sides share. */
  readonly buffer: SharedArrayBuffer;
  #cells: Int32Array;
  #next = 0;

  /** @param buffer The server's, in the worker; a new one in the server. */
  constructor(buffer = new SharedArrayBuffer(TICKETS * 8)) {
    this.buffer = buffer;
    this.#cells = new Int32Array(buffer);
  }

  /**
   * The server: a ticket for `fd`, or -1 when `TICKETS` are on their way.
   *
   * @param fd The descriptor posted with the ticket.
   * @returns The ticket.
   */
  claim(fd: number): number {
    const cells = this.#cells;
    for (let tried = 0; tried < TICKETS; tried++) {
      const ticket = this.#next;
      this.#next = (ticket + 1) % TICKETS;
      const state = Atomics.load(cells, ticket * 2);
      // A taken ticket's descriptor is the worker's: the ticket is free.
      if (state !== FREE && state !== TAKEN) continue;
      if (Atomics.compareExchange(cells, ticket * 2, state, SENT) !== state) {
        continue;
      }
      Atomics.store(cells, ticket * 2 + 1, fd);
      return ticket;
    }
    return -1;
  }

  /**
   * The worker: the descriptor of `ticket`, now its own to serve and close,
   * or `undefined` if the server took it back.
   *
   * @param ticket A ticket from a message.
   * @returns The descriptor.
   */
  take(ticket: number): number | undefined {
    const cells = this.#cells;
    if (!(ticket >= 0 && ticket < TICKETS)) return undefined;
    const fd = Atomics.load(cells, ticket * 2 + 1);
    return Atomics.compareExchange(cells, ticket * 2, SENT, TAKEN) === SENT
      ? fd
      : undefined;
  }

  /**
   * The server, once the worker is gone: closes each descriptor it never
   * took.
   *
   * @param close Closes a descriptor.
   */
  reclaim(close: (fd: number) => void): void {
    const cells = this.#cells;
    for (let ticket = 0; ticket < TICKETS; ticket++) {
      if (Atomics.compareExchange(cells, ticket * 2, SENT, FREE) === SENT) {
        close(Atomics.load(cells, ticket * 2 + 1));
      }
    }
  }
}
