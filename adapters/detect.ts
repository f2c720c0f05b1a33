/**
 * Picks the driver for the runtime this code runs on.
 *
 * @module
 */

import type { Driver } from "../src/transport.ts";
import { driver as bunDriver } from "./bun.ts";
import { driver as denoDriver } from "./deno.ts";
import { driver as nodeDriver } from "./node.ts";

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
  const runtime = globalThis as { Deno?: unknown; Bun?: unknown };
  if (runtime.Deno !== undefined) return denoDriver;
  if (runtime.Bun !== undefined) return bunDriver;
  return nodeDriver;
}
