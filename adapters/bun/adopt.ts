/**
 * A connection passed to a Bun child process, served by Bun's own socket.
 *
 * Bun's `node:child_process` delivers a passed connection as a `node:net`
 * socket wrapped around one of Bun's native sockets (`_handle`). Serving it
 * through `node:net` costs a stream's events per chunk; giving the native
 * socket this driver's handlers (`reload`) serves it as a connection of
 * `Bun.listen` is served. The `node:net` wrapper hears nothing afterwards.
 *
 * @module
 */

import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import type { BunSocket } from "./api.ts";
import { BunConn } from "./conn.ts";
import { connectionEvents } from "./stream.ts";

/** The part of a `node:net` socket this needs. */
interface Wrapped {
  _handle?: unknown;
  readonly destroyed?: boolean;
  readonly readableLength?: number;
  read?(): Uint8Array | null;
}

/**
 * Serves `socket`, a `node:net` socket that Bun passed to this process,
 * through its native socket; `undefined` where Bun does not expose one.
 *
 * @param socket The socket from a `message` event's handle.
 * @param local This end's address.
 * @param remote The peer's address.
 * @returns The connection, or `undefined` to serve it through `node:net`.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { Socket } from "node:net";
 * import { adoptPassed } from "./adopt.ts";
 *
 * // A socket that never connected has no native socket to adopt.
 * const local = { hostname: "127.0.0.1", port: 1 };
 * assert.equal(adoptPassed(new Socket(), local, local), undefined);
 * ```
 */
export function adoptPassed<A extends SocketAddress>(
  socket: unknown,
  local: A,
  remote: A,
): StreamConn<A> | undefined {
  const wrapped = socket as Wrapped;
  const native = wrapped._handle as BunSocket | undefined;
  // One that closed already is left to the wrapper, whose end is queued.
  if (wrapped.destroyed || typeof native?.reload !== "function") {
    return undefined;
  }
  const conn = new BunConn(native, local, remote);
  // Bytes the wrapper read before it let go come first.
  const early = (wrapped.readableLength ?? 0) > 0 ? wrapped.read?.() : null;
  native.data = conn as BunConn<SocketAddress>;
  native.reload({ socket: connectionEvents });
  if (early) conn.input.push(new Uint8Array(early));
  // As Bun.listen's connections; the server accepted it paused.
  conn.setNoDelay(false);
  native.resume();
  return conn;
}
