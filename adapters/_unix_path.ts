/**
 * The one rule all drivers follow for a Unix socket path that already
 * exists: a socket file nobody has bound is stale and removed; anything
 * else is left alone; and the socket file gets the server's `mode`. Runs
 * through `node:fs`, which Deno, Bun and Node all have.
 *
 * @module
 */

import { chmod, lstat, readFile, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { SocketError, toSocketError } from "../src/errors.ts";

/**
 * Whether a socket in this network namespace is bound at `path`, from
 * Linux's `/proc/net/unix`. Reading it has no side effect, where probing
 * with `connect()` would hand a live server an empty connection. `undefined`
 * where the table cannot be read (not Linux).
 */
async function boundNow(path: string): Promise<boolean | undefined> {
  let table: string;
  try {
    table = await readFile("/proc/net/unix", "utf8");
  } catch {
    return undefined;
  }
  // Num RefCount Protocol Flags Type St Inode Path: the path is the rest.
  return table.split("\n").some((line) =>
    line.replace(/^\s*(?:\S+\s+){7}/, "") === path
  );
}

/**
 * Removes `path` if it is a socket file that no socket is bound to (left by
 * a crashed run). A live socket, a regular file or a directory stays, and
 * so does every socket file where this cannot be known (not Linux).
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
  if ((await boundNow(path)) !== false) return false;
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws `ENOENT` when the socket's directory does not exist, the same on
 * every runtime: Node's libuv reports that bind as `EACCES` instead.
 */
async function checkDirectory(path: string): Promise<void> {
  if (path.startsWith("\0")) return; // abstract: no directory
  const directory = dirname(path);
  try {
    await stat(directory);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") return; // bind says
    throw new SocketError(
      "ENOENT",
      `cannot bind ${path}: directory ${directory} does not exist`,
      { cause: error },
    );
  }
}

/**
 * Runs `bind`; if it fails with `EADDRINUSE` on a stale socket file, removes
 * the file and runs it once more. Then gives the socket file `mode`, if
 * set; if that fails, the socket is closed again and the error thrown.
 *
 * @param path The socket path.
 * @param bind Opens the socket at `path`.
 * @param mode The socket file's permission bits, if set.
 * @returns What `bind` returned.
 */
export async function bindUnixPath<T extends { close(): Promise<void> }>(
  path: string,
  bind: () => Promise<T>,
  mode?: number,
): Promise<T> {
  await checkDirectory(path);
  let socket: T;
  try {
    socket = await bind();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "EADDRINUSE" || !(await removeStaleSocket(path))) throw error;
    socket = await bind();
  }
  if (mode === undefined) return socket;
  try {
    await chmod(path, mode);
  } catch (error) {
    await socket.close();
    throw toSocketError(error, "EPERM");
  }
  return socket;
}
