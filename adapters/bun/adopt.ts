/**
 * A connection passed to a Bun child process, or a descriptor handed to a
 * Bun worker thread, served by Bun's own socket.
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
import { bun, type BunHandlers, type BunSocket } from "./api.ts";
import { BunConn } from "./conn.ts";
import { libc } from "./libc.ts";
import { connectionEvents } from "./stream.ts";

/** What a `node:net` socket read before it let go of its native socket. */
export interface Unread {
  readonly readableLength?: number;
  read?(): Uint8Array | null;
}

/** The part of a `node:net` socket this needs. */
interface Wrapped extends Unread {
  _handle?: unknown;
  readonly destroyed?: boolean;
}

/**
 * The bytes `socket` read and nobody took yet, as a plain `Uint8Array` (the
 * same type on every runtime; these come first on the new socket), or
 * `undefined`.
 *
 * @param socket A paused `node:net` socket giving up its native socket.
 * @returns The bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unreadBytes } from "./adopt.ts";
 *
 * assert.equal(unreadBytes({ readableLength: 0, read: () => null }), undefined);
 * const early = { readableLength: 2, read: () => new Uint8Array([1, 2]) };
 * assert.deepEqual(unreadBytes(early), new Uint8Array([1, 2]));
 * ```
 */
export function unreadBytes(socket: Unread): Uint8Array | undefined {
  const early = (socket.readableLength ?? 0) > 0 ? socket.read?.() : null;
  return early ? new Uint8Array(early) : undefined;
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
  const early = unreadBytes(wrapped);
  native.data = conn as BunConn<SocketAddress>;
  native.reload({ socket: connectionEvents });
  if (early) conn.input.push(early);
  // As Bun.listen's connections; the server accepted it paused.
  conn.setNoDelay(false);
  native.resume();
  return conn;
}

/** What a descriptor's socket carries until `open` makes its connection. */
interface Pending {
  local: SocketAddress;
  remote: SocketAddress;
  early?: Uint8Array;
}

/** One handler set for every adopted descriptor (Bun's fast path). */
const descriptorEvents: BunHandlers = {
  ...connectionEvents,
  open(socket) {
    const { local, remote, early } = socket.data as unknown as Pending;
    const conn = new BunConn(socket, local, remote);
    socket.data = conn;
    if (early) conn.input.push(early);
    // As Bun.listen's connections: Bun turns TCP_NODELAY on.
    conn.setNoDelay(false);
  },
};

/**
 * Serves a connected descriptor that this thread now owns (a worker thread
 * the server handed it to) with Bun's own socket.
 *
 * @param fd The descriptor; the socket closes it, or this function if Bun
 * cannot adopt it.
 * @param local This end's address.
 * @param remote The peer's address.
 * @param early Bytes read from it before it was handed over.
 * @returns The connection.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { connect, createServer } from "node:net";
 * import { libc } from "./libc.ts";
 * import { adoptDescriptor } from "./adopt.ts";
 *
 * const server = createServer({ pauseOnConnect: true });
 * await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
 * const { port } = server.address() as { port: number };
 * const accepted = new Promise<any>((resolve) => server.once("connection", resolve));
 * const client = connect(port, "127.0.0.1");
 * const socket = await accepted;
 * const copy = libc()!.dup(socket._handle.fd);
 * socket.destroy(); // the copy keeps the connection
 * const local = { hostname: "127.0.0.1", port };
 * const conn = await adoptDescriptor(copy, local, local);
 * client.write("hi");
 * assert.deepEqual(await conn.read(), new TextEncoder().encode("hi"));
 * conn.close();
 * client.destroy();
 * server.close();
 * ```
 */
export async function adoptDescriptor<A extends SocketAddress>(
  fd: number,
  local: A,
  remote: A,
  early?: Uint8Array,
): Promise<StreamConn<A>> {
  let socket;
  try {
    socket = await bun().connect({
      fd,
      allowHalfOpen: true,
      data: { local, remote, early } satisfies Pending,
      socket: descriptorEvents,
    });
  } catch (error) {
    // Bun leaves a descriptor it fails to adopt open (Bun 1.4.5): ours to
    // close, or the connection would never end.
    libc()?.close(fd);
    throw error;
  }
  return socket.data as unknown as StreamConn<A>;
}
