/**
 * The server's flush for its threads on Bun and Node (see
 * `src/pool/batch.ts`), which needs `setImmediate`: a runtime's timer, not
 * the core's.
 *
 * @module
 */

import type { Schedule } from "../../src/pool/batch.ts";

/**
 * After the I/O callbacks of this turn, so that the chunks they read go
 * together (Bun and Node run microtasks after each callback, so a
 * microtask would flush after each one). The server's thread runs no
 * handler, so nothing computes before it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endOfTurn } from "./batch.ts";
 *
 * const ran: string[] = [];
 * endOfTurn(() => ran.push("flush"));
 * await Promise.resolve();
 * assert.deepEqual(ran, []);
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * assert.deepEqual(ran, ["flush"]);
 * ```
 */
export const endOfTurn: Schedule = (flush) => setImmediate(flush);
