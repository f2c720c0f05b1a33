/**
 * Where the entry modules of worker threads and child processes are: they
 * are loaded by URL, as `.ts` from the sources or as `.js` from the npm
 * package, whichever this module itself is.
 *
 * @module
 */

const EXT = import.meta.url.endsWith(".js") ? ".js" : ".ts";

/**
 * The URL of an entry module, from its path below `adapters/` without its
 * extension.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { entry } from "./entry.ts";
 *
 * assert.match(entry("_node/child").href, /\/adapters\/_node\/child\.ts$/);
 * ```
 *
 * @param path `"_node/child"`, `"bun/child"`, `"_shared/thread_web"`,
 *   `"bun/thread"` or `"node/thread"`.
 * @returns Its URL.
 */
export function entry(path: string): URL {
  return new URL(`../${path}${EXT}`, import.meta.url);
}
