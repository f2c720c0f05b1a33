/**
 * The one rule all drivers follow for a Unix socket path that already
 * exists: a socket file nobody listens on is stale and removed; anything
 * else is left alone. Runs through `node:fs` and `node:net`, which Deno,
 * Bun and Node all have.
 *
 * @module
 */

import { lstat, unlink } from "node:fs/promises";
import { connect } from "node:net";

/**
 * Removes `path` if it is a socket file with no process behind it (left by
 * a crashed run). A live socket, a regular file or a directory stays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeStaleSocket } from "./_unix_path.ts";
 *
 * assert.equal(await removeStaleSocket("/nonexistent/x.sock"), false);
 * ```
 *
 * @param path The path a bind found in use.
 * @returns Whether the file was removed, so the bind may be tried again.
 */
export async function removeStaleSocket(path: string): Promise<boolean> {
  if (path.startsWith("\0")) return false; // abstract: no file to remove
  try {
    if (!(await lstat(path)).isSocket()) return false;
  } catch {
    return false;
  }
  // A live stream socket accepts; a live datagram socket answers with
  // EPROTOTYPE. Only a socket with no process behind it refuses.
  const refused = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", (error: { code?: string }) => {
      probe.destroy();
      resolve(error.code === "ECONNREFUSED");
    });
  });
  if (!refused) return false;
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `bind`; if it fails with `EADDRINUSE` on a stale socket file, removes
 * the file and runs it once more.
 *
 * @param path The socket path.
 * @param bind Opens the socket at `path`.
 * @returns What `bind` returned.
 */
export async function bindUnixPath<T>(
  path: string,
  bind: () => Promise<T>,
): Promise<T> {
  try {
    return await bind();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "EADDRINUSE" || !(await removeStaleSocket(path))) throw error;
    return await bind();
  }
}
