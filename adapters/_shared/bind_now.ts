/**
 * Binding with a synchronous runtime call (`Deno.listen`, `Bun.listen`),
 * as a promise that rejects with a `SocketError` like every other bind.
 *
 * @module
 */

import { toSocketError } from "../../src/errors.ts";

/**
 * Runs `bind` now; its error becomes a `SocketError`, with `code` from the
 * error itself or else `fallback(error)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bindNow } from "./bind_now.ts";
 *
 * await assert.rejects(
 *   bindNow(() => { throw new Error("no such host"); }, () => "ENOTFOUND"),
 *   { name: "SocketError", code: "ENOTFOUND" },
 * );
 * ```
 *
 * @param bind The runtime's bind.
 * @param fallback The code for an error that carries none.
 * @returns What `bind` returned.
 */
export function bindNow<T>(
  bind: () => T,
  fallback: (error: unknown) => string,
): Promise<T> {
  try {
    return Promise.resolve(bind());
  } catch (error) {
    return Promise.reject(toSocketError(error, fallback(error)));
  }
}
