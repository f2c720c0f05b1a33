/**
 * The one rule for closing a connection with writes still queued: they get
 * {@linkcode CLOSE_LINGER_MS} to drain to the peer, then are dropped. Every
 * driver's `close()` follows it.
 *
 * @module
 */

import { CLOSE_LINGER_MS } from "../../src/transport.ts";

/**
 * Calls `force` (drop what is left, close now) unless the returned
 * function is called first, once the writes have drained.
 *
 * @example
 * ```ts
 * import { linger } from "./linger.ts";
 *
 * const drained = linger(() => console.log("dropped"));
 * drained(); // the writes went out in time: nothing is dropped
 * ```
 *
 * @param force Closes the connection at once.
 * @returns What to call once the writes have drained (or the connection
 * closed otherwise).
 */
export function linger(force: () => void): () => void {
  const timer = setTimeout(force, CLOSE_LINGER_MS);
  return () => clearTimeout(timer);
}
