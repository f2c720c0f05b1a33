/**
 * Which Node this is. Only the Node driver's own parts ask, and only on
 * Node: Deno and Bun report a Node version they emulate.
 *
 * @module
 */

import process from "node:process";

/**
 * Whether this Node is `major.minor` or later.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeAtLeast } from "./version.ts";
 *
 * assert.equal(nodeAtLeast(0, 0), true);
 * ```
 *
 * @param major The major version.
 * @param minor The minor version.
 * @returns `true` if this Node is at least that.
 */
export function nodeAtLeast(major: number, minor: number): boolean {
  const [have, haveMinor] = (process.versions.node ?? "0.0").split(".").map(
    Number,
  );
  return have > major || (have === major && haveMinor >= minor);
}
