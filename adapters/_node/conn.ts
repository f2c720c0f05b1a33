/**
 * The `node:net` connection the Node driver serves, shared with the child
 * processes that take connections over from a server (`child.ts`): the
 * read queue over Node's push events, writes with backpressure, linger on
 * close, and the TLS handshakes run on raw sockets.
 *
 * @module
 */

import type * as net from "node:net";
import * as tls from "node:tls";
import {
  closedConnectionError,
  connectionError,
  WorkerError,
} from "../../src/errors.ts";
import { ReadQueue } from "../_shared/push_queue.ts";
import type {
  SocketAddress,
  StreamConn,
  TlsOptions,
} from "../../src/transport.ts";
import { HandshakeGate } from "../_shared/handshakes.ts";
import { linger } from "../_shared/linger.ts";

/** A write failure; Node's own "stream closed" errors become `EPIPE`. */
function writeError(error: unknown, peer: SocketAddress): Error {
  const code = (error as { code?: unknown } | null)?.code;
  // A socket destroyed under a pending write: the connection is closed.
  if (
    typeof code === "string" &&
    (code.startsWith("ERR_STREAM") || code === "ERR_SOCKET_CLOSED" ||
      code === "ECANCELED")
  ) return closedConnectionError(peer, error);
  return connectionError(error, "EPIPE", "send to", peer);
}

/** A plain Uint8Array view, so results compare equal on every runtime. */
export function plain(chunk: Uint8Array): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The descriptor behind a Node handle, where Node exposes it. */
export function handleFd(owner: unknown): number | undefined {
  const fd = (owner as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}

/**
 * The socket behind `conn`, to hand to a worker (a child or a thread), no
 * longer `conn`'s to read; `undefined` when the client left before (a
 * reset): the message then goes alone and the worker ends the request
 * quietly, as a listener drops such a client unreported.
 */
export function handOver(
  conn: StreamConn<SocketAddress>,
): net.Socket | undefined {
  const released = conn instanceof NodeConn ? conn.release() : undefined;
  if (released === undefined) {
    throw new WorkerError(
      "this connection cannot be handed to a worker: it was not accepted paused by node:net, or was read from",
    );
  }
  return released === "gone" ? undefined : released;
}

/** A `node:net` socket as a {@linkcode StreamConn}. */
export class NodeConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  #socket: net.Socket;
  #input: ReadQueue;
  /** Accepted paused (`pauseOnConnect`) and unread: a child may take it. */
  #held: boolean;

  /**
   * @param socket The connected socket.
   * @param localAddress This end's address.
   * @param remoteAddress The peer's address.
   * @param held Whether the socket was accepted paused, to be passed to a
   * child unread ({@linkcode NodeConn.release}); the first read starts it.
   */
  constructor(
    socket: net.Socket,
    localAddress: A,
    remoteAddress: A,
    held = false,
  ) {
    this.#socket = socket;
    this.#held = held;
    this.localAddress = localAddress;
    this.remoteAddress = remoteAddress;
    const input = this.#input = new ReadQueue(socket);
    const end = () => input.end();
    socket.on("data", (chunk: Uint8Array) => input.push(plain(chunk)));
    socket.on("end", end);
    socket.on(
      "error",
      (error) =>
        input.end(connectionError(error, "EIO", "recv from", remoteAddress)),
    );
    socket.on("close", end);
  }

  get readBufferSize(): number {
    return this.#input.readBufferSize;
  }

  set readBufferSize(bytes: number) {
    this.#input.readBufferSize = bytes;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#held) {
      this.#held = false;
      this.#socket.resume();
    }
    return this.#input.read();
  }

  recv(max: number): Promise<Uint8Array> {
    if (this.#held) {
      this.#held = false;
      this.#socket.resume();
    }
    return this.#input.recv(max);
  }

  /**
   * The socket, to pass to a child, if nothing was read from it here; it
   * is no longer this connection's to read afterwards. `"gone"` when the
   * client left before it could be passed.
   */
  release(): net.Socket | "gone" | undefined {
    if (this.#held && this.#socket.destroyed) return "gone";
    if (!this.#held) return undefined;
    this.#held = false;
    return this.#socket;
  }

  write(data: Uint8Array): Promise<void> {
    const socket = this.#socket;
    let settle: ((error?: Error | null) => void) | undefined;
    // The callback runs once Node has handed the bytes to the kernel.
    socket.write(data, (error) => settle?.(error));
    // Nothing left queued: the kernel took the bytes during write(), so
    // resolve now instead of a tick later, when the callback runs.
    if (socket.writableLength === 0 && !socket.destroyed) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      settle = (error) =>
        error ? reject(writeError(error, this.remoteAddress)) : resolve();
    });
  }

  closeWrite(): Promise<void> {
    if (!this.#socket.destroyed) this.#socket.end();
    return Promise.resolve();
  }

  close(): void {
    const socket = this.#socket;
    this.#input.clear();
    if (socket.destroyed) return;
    if (socket.writableLength === 0) {
      socket.destroy();
      return;
    }
    // Writes nobody awaited are still queued: let them drain, but not forever.
    socket.end();
    const drained = linger(() => socket.destroy());
    socket.once("finish", () => {
      drained();
      socket.destroy();
    });
    socket.once("close", drained);
  }

  abort(): void {
    this.#input.clear();
    this.#socket.destroy();
  }

  setNoDelay(enable: boolean): void {
    if (this.remoteAddress && "port" in this.remoteAddress) {
      this.#socket.setNoDelay(enable);
    }
  }

  /** Turns the client away with a reset, as a full kernel backlog would. */
  reset(): void {
    try {
      this.#socket.resetAndDestroy();
    } catch {
      this.#socket.destroy(); // TLS and Unix sockets cannot send a reset
    }
  }
}

/**
 * Runs the TLS handshake on each connection it is given (`start`) and
 * hands over those that succeed. The TLS sockets are made here rather than by
 * `tls.Server`, so that every handshake in progress is known: bounded in
 * number and time by a {@linkcode HandshakeGate}, and closed when the
 * client leaves first (`tls.Server` leaves such sockets open until its
 * own timeout once `tlsClientError` has a listener, and for good
 * otherwise on half-open servers).
 */
export function secureHandshakes(
  options: TlsOptions,
  accept: (socket: net.Socket) => void,
): {
  gate: HandshakeGate<tls.TLSSocket>;
  start(
    raw: net.Socket,
    secured?: (socket: tls.TLSSocket) => void,
    dropped?: () => void,
  ): void;
} {
  const secureContext = tls.createSecureContext({
    cert: options.cert,
    key: options.key,
  });
  const gate = new HandshakeGate<tls.TLSSocket>(
    options,
    (socket) => socket.destroy(),
  );
  const start = (
    raw: net.Socket,
    secured: (socket: tls.TLSSocket) => void = accept,
    dropped?: () => void,
  ) => {
    // The raw socket is not half-open, so a client that sends FIN before
    // finishing its handshake is closed at once; served ones become so.
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext });
    const fail = () => socket.destroy();
    let served = false;
    gate.begin(socket);
    socket.on("error", fail);
    socket.once("close", () => {
      gate.end(socket);
      if (!served) dropped?.();
    });
    socket.once("secure", () => {
      if (!gate.end(socket)) return; // given up already
      served = true;
      socket.off("error", fail);
      socket.allowHalfOpen = true;
      secured(socket);
    });
  };
  return { gate, start };
}
