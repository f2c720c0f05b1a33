/**
 * Keeping a server clear of its descriptor limit. Bun's accept loop spins
 * at full CPU while `accept()` fails with `EMFILE`, and nothing above it can
 * slow it down; so the drivers close a new connection whose descriptor is
 * within {@linkcode RESERVE} of the limit, and `accept()` never gets there.
 * Descriptors are allocated lowest first, so a connection's number tells
 * how many are in use. Linux only (`/proc/self/limits`); elsewhere nothing
 * is refused.
 *
 * @module
 */

import { readFileSync } from "node:fs";

/** Descriptors kept free for accept, files and the runtime itself. */
export const RESERVE = 32;

/** How often the limit is read again (`prlimit` can change it any time). */
const REFRESH_MS = 1000;

let limit = Infinity;
let readAt = -Infinity;

function softLimit(): number {
  const now = Date.now();
  if (now - readAt < REFRESH_MS) return limit;
  readAt = now;
  try {
    const text = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
    limit = soft === undefined || soft === "unlimited" ? Infinity : +soft;
  } catch {
    limit = Infinity;
  }
  return limit;
}

/**
 * Whether a connection that got descriptor `fd` leaves too few free, and
 * should be closed at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearDescriptorLimit } from "./descriptors.ts";
 *
 * assert.equal(nearDescriptorLimit(3), false);
 * assert.equal(nearDescriptorLimit(undefined), false);
 * ```
 *
 * @param fd The new connection's descriptor, if the runtime tells it.
 * @returns `true` when fewer than {@linkcode RESERVE} would be left.
 */
export function nearDescriptorLimit(fd: number | undefined): boolean {
  return fd !== undefined && fd >= softLimit() - RESERVE;
}
