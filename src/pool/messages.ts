/**
 * What a server and its workers (threads or child processes) say to each
 * other. Every message is a plain object whose fields are JSON values, plus
 * at most one `bytes` field, so the same messages cross a `postMessage`
 * (structured clone) and a process pipe (see `frames.ts`).
 *
 * @module
 */

import {
  LineTooLongError,
  NotSupportedError,
  ServerClosedError,
  SocketError,
  TimeoutError,
  WorkerError,
} from "../errors.ts";
import type { HandoffSettings } from "../server/stream_server.ts";
import type {
  NetAddress,
  SocketAddress,
  TcpListenOptions,
  UdpBindOptions,
} from "../transport.ts";

/**
 * Bytes one side may send on a connection before the other has consumed
 * them; beyond it the sender waits. This bounds what a client that floods
 * (or a handler that writes faster than the client reads) costs in memory.
 */
export const RELAY_WINDOW = 256 * 1024;

/** An error as it crosses to the other side. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** What a handler in a worker sees of its server. */
export interface ServerInfo {
  serverAddress: SocketAddress;
  workerData: unknown;
}

/** The server to a worker. */
export type ToWorker =
  | {
    t: "init";
    module: string;
    exportName: string;
    server: ServerInfo;
    workerId: number;
  }
  | {
    t: "open";
    id: number;
    local: SocketAddress;
    remote: SocketAddress;
  }
  | { t: "data"; id: number; bytes: Uint8Array }
  | { t: "eof"; id: number; error?: WireError }
  | { t: "ack"; id: number; n: number; error?: WireError }
  | {
    t: "packet";
    id: number;
    bytes: Uint8Array;
    local: SocketAddress;
    remote: SocketAddress;
  }
  | { t: "sent"; seq: number; error?: WireError }
  | { t: "shutdownDone"; seq: number }
  | { t: "close"; id: number }
  // A worker with a listener of its own on the server's port (port_share.ts)
  // or a UDP socket (packet_share.ts, where maxPacketSize is set):
  | {
    t: "share";
    driver: string;
    options: TcpListenOptions | UdpBindOptions;
    settings: HandoffSettings;
    maxPacketSize?: number;
    /** A UDP worker serves on its own from the start (packet_share.ts). */
    auto?: boolean;
  }
  // A UDP worker serves on its own (on) or holds what comes (off, answered
  // with "paused" once it does):
  | { t: "auto"; on: boolean }
  | { t: "serve"; held: number; id: number }
  | { t: "drop"; held: number }
  | { t: "unshare" };

/**
 * What the server sends over a child's IPC channel, when the child takes
 * connections over: first its settings, then each connection with its
 * descriptor. The channel keeps them in order.
 */
export type ToChild =
  | { t: "streams"; settings: HandoffSettings }
  | { t: "adopt"; id: number; local: SocketAddress; remote: SocketAddress };

/** A worker to the server. */
export type FromWorker =
  | { t: "ready" }
  | { t: "failed"; error: WireError }
  | { t: "consumed"; id: number; n: number }
  | { t: "write"; id: number; bytes: Uint8Array }
  | { t: "closeWrite"; id: number }
  | { t: "noDelay"; id: number; enable: boolean }
  | { t: "done"; id: number; error?: WireError }
  | {
    t: "sendto";
    id: number;
    seq: number;
    bytes: Uint8Array;
    to: SocketAddress;
  }
  | { t: "shutdown"; seq: number }
  | { t: "sharing" }
  | { t: "shareFailed"; error: WireError }
  | {
    t: "accepted";
    held: number;
    local: SocketAddress;
    remote: SocketAddress;
  }
  // A datagram on a worker's own UDP socket, a copy for the server's hooks.
  | { t: "received"; held: number; bytes: Uint8Array; from: NetAddress }
  // A handler the worker ran on its own failed: for handleError.
  | {
    t: "packetFailed";
    bytes: Uint8Array;
    from: NetAddress;
    error: WireError;
  }
  // After "unshare": its own socket is closed (a UDP one once the handlers
  // it ran on its own returned).
  | { t: "drained" }
  | { t: "paused" };

/** Turns any thrown value into a {@linkcode WireError}. */
export function toWire(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  return { name: "Error", message: String(error) };
}

/**
 * Rebuilds an error on this side: the library's own classes come back as
 * themselves (so `instanceof SocketError` holds), others as an `Error` with
 * the original name, message, stack and code.
 */
export function fromWire(wire: WireError): Error {
  let error: Error;
  switch (wire.name) {
    case "TimeoutError":
      error = new TimeoutError(wire.message);
      break;
    case "SocketError":
      error = new SocketError(wire.code ?? "EIO", wire.message);
      break;
    case "ServerClosedError":
      error = new ServerClosedError(wire.message);
      break;
    case "NotSupportedError":
      error = new NotSupportedError(wire.message);
      break;
    case "WorkerError":
      error = new WorkerError(wire.message);
      break;
    case "LineTooLongError": {
      const limit = /limit of (\d+)/.exec(wire.message);
      error = new LineTooLongError(limit ? Number(limit[1]) : 0);
      break;
    }
    default:
      error = new Error(wire.message);
      error.name = wire.name;
      if (wire.code !== undefined) {
        (error as Error & { code: string }).code = wire.code;
      }
  }
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
