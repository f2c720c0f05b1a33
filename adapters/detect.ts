/**
 * Picks the driver for the runtime this code runs on.
 *
 * @module
 */

import type { Driver } from "../src/transport.ts";

/**
 * Loads the native driver of the running runtime: `Deno.listen` on Deno,
 * `Bun.listen` on Bun, `node:net` elsewhere. Each adapter is imported only
 * when chosen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadRuntimeDriver } from "./detect.ts";
 *
 * const driver = await loadRuntimeDriver();
 * assert.ok(["deno", "bun", "node"].includes(driver.name));
 * ```
 *
 * @returns The driver.
 */
export async function loadRuntimeDriver(): Promise<Driver> {
  const runtime = globalThis as { Deno?: unknown; Bun?: unknown };
  if (runtime.Deno !== undefined) return (await import("./deno.ts")).driver;
  if (runtime.Bun !== undefined) return (await import("./bun.ts")).driver;
  return (await import("./node.ts")).driver;
}
