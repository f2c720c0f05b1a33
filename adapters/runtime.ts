/**
 * Which runtime this code runs on, the one question every composition of
 * drivers asks.
 *
 * @module
 */

/**
 * `"deno"` or `"bun"` where their global is, `"node"` elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runningOn } from "./runtime.ts";
 *
 * assert.ok(["deno", "bun", "node"].includes(runningOn()));
 * ```
 *
 * @returns The runtime's name.
 */
export function runningOn(): "deno" | "bun" | "node" {
  const runtime = globalThis as { Deno?: unknown; Bun?: unknown };
  if (runtime.Deno !== undefined) return "deno";
  if (runtime.Bun !== undefined) return "bun";
  return "node";
}
