/**
 * The rules all drivers follow for a Unix socket file, which is known by
 * what it is (device and inode), never by how its path is spelled:
 *
 * - a path already in use is taken over only if it is a socket file that
 *   no socket is bound to (left by a crashed run), checked again right
 *   before it is removed, so two servers starting on one stale file cannot
 *   both bind;
 * - the file gets the server's `mode` as it is created, through the umask,
 *   so no later `chmod` can follow a symlink an attacker swapped in;
 * - closing removes the path only while it is still this server's socket:
 *   a file that replaced it stays, even though every runtime unlinks the
 *   bound path by name when its listener closes.
 *
 * Runs through `node:fs` and `node:net`, which Deno, Bun and Node all have.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import {
  lstat,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
} from "node:fs/promises";
import { connect } from "node:net";
import { basename, dirname, isAbsolute } from "node:path";
import process from "node:process";
import { NotSupportedError, SocketError } from "../../src/errors.ts";

/** What a file is, whatever its path's spelling. */
interface FileId {
  dev: number;
  ino: number;
}

async function fileId(path: string): Promise<FileId | undefined> {
  try {
    const { dev, ino } = await lstat(path);
    return { dev, ino };
  } catch {
    return undefined;
  }
}

function same(a: FileId | undefined, b: FileId | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev &&
    a.ino === b.ino;
}

/**
 * Whether a socket in this network namespace is bound to the file `id`,
 * from Linux's `/proc/net/unix`: each bound path listed there is compared
 * by what it is, so `/run/x.sock` and `/var/run//x.sock` are one file.
 * Reading it has no side effect, where probing with `connect()` would hand
 * a live server an empty connection. `undefined` where it cannot tell: no
 * table (not Linux), or a socket bound by a relative path (relative to a
 * directory this process does not know).
 */
async function boundNow(id: FileId): Promise<boolean | undefined> {
  let table: string;
  try {
    table = await readFile("/proc/net/unix", "utf8");
  } catch {
    return undefined;
  }
  let unsure = false;
  // Num RefCount Protocol Flags Type St Inode Path: the path is the rest.
  for (const line of table.split("\n").slice(1)) {
    const bound = line.replace(/^\s*(?:\S+\s+){7}/, "");
    if (bound === line || bound === "" || bound.startsWith("@")) continue;
    if (!isAbsolute(bound)) unsure = true;
    else if (same(await fileId(bound), id)) return true;
  }
  return unsure ? undefined : false;
}

/** Whether a server answers at `path`: refused means nobody listens. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(live);
    };
    const timer = setTimeout(() => done(true), 1000);
    socket.once("connect", () => done(true));
    socket.once("error", (error: { code?: string }) =>
      // A datagram socket refuses a stream with EPROTOTYPE: it is live.
      done(error.code !== "ECONNREFUSED"));
  });
}

/**
 * Removes `path` if it is a socket file that no socket is bound to (left by
 * a crashed run). A live socket, a regular file or a directory stays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeStaleSocket } from "./unix_path.ts";
 *
 * assert.equal(await removeStaleSocket("/nonexistent/x.sock"), false);
 * ```
 *
 * @param path The path a bind found in use.
 * @returns Whether the file was removed, so the bind may be tried again.
 */
export async function removeStaleSocket(path: string): Promise<boolean> {
  if (path.startsWith("\0")) return false; // abstract: no file to remove
  let stale: FileId;
  try {
    const found = await lstat(path);
    if (!found.isSocket()) return false;
    stale = { dev: found.dev, ino: found.ino };
  } catch {
    return false;
  }
  const bound = await boundNow(stale);
  if (bound === true || (bound === undefined && await answers(path))) {
    return false;
  }
  // Another server may have replaced the stale file meanwhile: look again.
  if (!same(await fileId(path), stale)) return false;
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
 * Runs `bind` with the umask that gives the new socket file `mode`. The
 * umask is the process's: files other code creates meanwhile get at most
 * the same bits, never more.
 */
async function withMode<T>(
  mode: number | undefined,
  bind: () => Promise<T>,
): Promise<T> {
  if (mode === undefined) return bind();
  let previous: number;
  try {
    previous = process.umask(~mode & 0o777);
  } catch (error) {
    // Worker threads may not set the umask, and a chmod after the bind
    // could follow a symlink swapped in meanwhile.
    throw new NotSupportedError(
      `the mode option needs the process umask, which a worker thread cannot set (${error}): start the Unix server in the main thread, or leave mode out and put the socket in a directory with the permissions you want`,
    );
  }
  try {
    return await bind();
  } finally {
    process.umask(previous);
  }
}

/**
 * Closes the socket, then removes `path` only if it is still the socket
 * file `id`. The runtimes unlink the bound path by name on close, so a file
 * that replaced the socket is moved aside while that happens, then back.
 */
async function closeAndRemove(
  path: string,
  id: FileId | undefined,
  close: () => Promise<void>,
): Promise<void> {
  const now = await fileId(path);
  let aside: string | undefined;
  if (now !== undefined && !same(now, id)) { // an intruder: out of the way
    const name = `${dirname(path)}/.socketserver-aside-${randomUUID()}`;
    if (await rename(path, name).then(() => true, () => false)) aside = name;
  }
  try {
    await close();
  } finally {
    if (aside) await rename(aside, path).catch(() => {});
    else if (same(await fileId(path), id)) await unlink(path).catch(() => {});
  }
}

/**
 * Binds in progress in this process, by the path's real location: a stale
 * file's check and removal and the bind after it run one at a time per
 * file, so a second server never removes the socket the first just bound.
 */
const binding = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(path: string, run: () => Promise<T>): Promise<T> {
  let key = path;
  try {
    key = `${await realpath(dirname(path))}/${basename(path)}`;
  } catch {
    // the directory check reports it
  }
  const before = binding.get(key);
  const current = (before ?? Promise.resolve()).catch(() => {}).then(run);
  binding.set(key, current);
  try {
    return await current;
  } finally {
    if (binding.get(key) === current) binding.delete(key);
  }
}

/**
 * Runs `bind`; if it fails with `EADDRINUSE` on a stale socket file, removes
 * the file and runs it once more. The socket file is created with `mode`,
 * if set. The returned socket's `close()` removes the file only while it is
 * still this socket's.
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
  if (path.startsWith("\0")) return withMode(mode, bind); // no file
  const [socket, id] = await oneAtATime(path, async () => {
    let socket: T;
    try {
      socket = await withMode(mode, bind);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== "EADDRINUSE" || !(await removeStaleSocket(path))) {
        throw error;
      }
      socket = await withMode(mode, bind);
    }
    return [socket, await fileId(path)] as const;
  });
  const close = socket.close.bind(socket);
  let closing: Promise<void> | undefined;
  // An own property, so every caller's close() goes through the check, once.
  socket.close = () => closing ??= closeAndRemove(path, id, close);
  return socket;
}
