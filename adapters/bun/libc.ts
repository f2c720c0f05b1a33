/**
 * `dup()` and `close()` from the C library, through `bun:ffi`: what lets
 * the server hand a connection's descriptor to one of its worker threads,
 * which share the process's descriptors but not its sockets.
 *
 * @module
 */

import process from "node:process";

/** The two calls, as the C library has them: -1 on failure. */
export interface Libc {
  dup(fd: number): number;
  close(fd: number): number;
}

const LIBRARY: Record<string, string> = {
  linux: "libc.so.6",
  darwin: "libSystem.B.dylib",
};

let loaded: Libc | null | undefined;

/**
 * The C library's `dup()` and `close()`, or `undefined` where `bun:ffi`
 * or the library cannot be loaded (not on Bun, or an unknown C library).
 *
 * @returns The calls, loaded once.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { libc } from "./libc.ts";
 *
 * const calls = libc()!;
 * const copy = calls.dup(1);
 * assert.ok(copy > 2);
 * assert.equal(calls.close(copy), 0);
 * ```
 */
export function libc(): Libc | undefined {
  if (loaded === undefined) loaded = load() ?? null;
  return loaded ?? undefined;
}

interface Ffi {
  dlopen(name: string, symbols: Record<string, unknown>): {
    symbols: Libc;
  };
}

function load(): Libc | undefined {
  // Bun's synchronous require: this runs when a pool starts, not at import.
  const require = (import.meta as { require?: (id: string) => unknown })
    .require;
  const name = LIBRARY[process.platform];
  if (!require || !name) return undefined;
  try {
    const ffi = require("bun:ffi") as Ffi;
    const call = { args: ["i32"], returns: "i32" };
    return ffi.dlopen(name, { dup: call, close: call }).symbols;
  } catch {
    return undefined;
  }
}
