/**
 * Picks the driver for the runtime this code runs on.
 *
 * @module
 */

import type { Driver } from "../src/driver.ts";
import { bunDriver, denoDriver, nodeDriver } from "./drivers.ts";
import { runningOn } from "./runtime.ts";

/**
 * The native driver of the running runtime: `Deno.listen` on Deno,
 * `Bun.listen` on Bun, `node:net` elsewhere. The adapters touch their
 * runtime only when called, so importing all three is safe everywhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runtimeDriver } from "./detect.ts";
 *
 * assert.ok(["deno", "bun", "node"].includes(runtimeDriver().name));
 * ```
 *
 * @returns The driver.
 */
export function runtimeDriver(): Driver {
  return { deno: denoDriver, bun: bunDriver, node: nodeDriver }[runningOn()];
}
