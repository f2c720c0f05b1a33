/**
 * Python's `time.ctime()` for the time-stamp examples.
 *
 * @module
 */

/**
 * The date as Python's `time.ctime()` writes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctime } from "./timestamp.ts";
 *
 * assert.equal(ctime(new Date(2026, 10, 3, 9, 5, 7)), "Tue Nov  3 09:05:07 2026");
 * ```
 *
 * @param date The time to write; now by default.
 * @returns `Mon Nov 23 10:00:00 2026`.
 */
export function ctime(date: Date = new Date()): string {
  const [day, month, dd, year, time] = date.toString().split(" ");
  return `${day} ${month} ${dd.replace(/^0/, " ")} ${time} ${year}`;
}
