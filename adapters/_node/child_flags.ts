/**
 * Which of a Node parent's flags its child processes get.
 *
 * @module
 */

/**
 * The parent's flags a child gets: those that load modules (type stripping,
 * `--import`) carry over; the test runner's own (`--test*`) do not, nor
 * their values when given apart (`--test-name-pattern X`): in `execArgv`
 * an entry that is no flag is always the value of the flag before it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { childFlags } from "./child_flags.ts";
 *
 * assert.deepEqual(
 *   childFlags(["--test-name-pattern", "forks", "--import", "x.js", "--test-only"]),
 *   ["--import", "x.js"],
 * );
 * ```
 *
 * @param execArgv The parent's `process.execArgv`.
 * @returns The flags to start a child with.
 */
export function childFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i];
    if (!flag.startsWith("--test")) {
      flags.push(flag);
      continue;
    }
    const next = execArgv[i + 1];
    if (!flag.includes("=") && next !== undefined && !next.startsWith("-")) i++;
  }
  return flags;
}
