/**
 * Signals through `node:process`, for the hosts of Bun and Node.
 *
 * @module
 */

import process from "node:process";
import type { ShutdownSignal } from "../../src/host.ts";

/**
 * Calls `listener` on `signal` instead of ending the process.
 *
 * @example
 * ```ts
 * import { onProcessSignal } from "./signals.ts";
 *
 * const off = onProcessSignal("SIGTERM", () => console.log("stopping"));
 * off();
 * ```
 *
 * @param signal `"SIGINT"` or `"SIGTERM"`.
 * @param listener What to call.
 * @returns What removes it.
 */
export function onProcessSignal(
  signal: ShutdownSignal,
  listener: () => void,
): () => void {
  process.on(signal, listener);
  return () => process.off(signal, listener);
}
