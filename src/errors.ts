/**
 * Errors thrown by servers, handlers and adapters, with the same `code` on
 * every runtime.
 *
 * @module
 */

import { describeAddress } from "./address.ts";

/**
 * Error codes this library sets on the errors it throws. System codes keep
 * their POSIX names; the library's own codes start with `ERR_`.
 *
 * @example Telling a busy port apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorCode, SocketError } from "./errors.ts";
 *
 * const error = new SocketError(ErrorCode.EADDRINUSE, "address in use");
 * assert.equal(error.code, "EADDRINUSE");
 * ```
 */
export const ErrorCode = {
  /** The address is already bound by another socket. */
  EADDRINUSE: "EADDRINUSE",
  /** The address is not one of this machine's. */
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  /** Binding needs a privilege (a port below 1024, a protected path). */
  EACCES: "EACCES",
  /**
   * The system refused the socket file: its directory takes none (sysfs),
   * or its `mode` could not be set.
   */
  EPERM: "EPERM",
  /** A Unix socket's directory does not exist. */
  ENOENT: "ENOENT",
  /** The host name did not resolve. */
  ENOTFOUND: "ENOTFOUND",
  /** The peer reset the connection. */
  ECONNRESET: "ECONNRESET",
  /** The peer is gone; a write could not be delivered. */
  EPIPE: "EPIPE",
  /** A datagram is larger than the system sends (65507 bytes over IPv4 UDP). */
  EMSGSIZE: "EMSGSIZE",
  /** A datagram reply has no address: a Unix sender that bound no path. */
  EDESTADDRREQ: "EDESTADDRREQ",
  /** A read or write took longer than the handler's `timeout`. */
  ETIMEDOUT: "ETIMEDOUT",
  /** `readline()` met a line longer than its limit. */
  ERR_LINE_TOO_LONG: "ERR_LINE_TOO_LONG",
  /** The server or connection is closed. */
  ERR_SERVER_CLOSED: "ERR_SERVER_CLOSED",
  /** This runtime cannot do what was asked. */
  ERR_NOT_SUPPORTED: "ERR_NOT_SUPPORTED",
  /** A worker thread or child process failed to load, crashed, or hung. */
  ERR_WORKER: "ERR_WORKER",
  /** A connection's PROXY protocol header was missing or malformed. */
  ERR_PROXY_PROTOCOL: "ERR_PROXY_PROTOCOL",
} as const;

/**
 * A failure of the operating system's socket layer, carrying its code.
 *
 * Adapters wrap every runtime error in this class, so `instanceof
 * SocketError` and `error.code` work the same on Deno, Bun and Node. It plays
 * the role of Python's `OSError`.
 *
 * @example Checking the code of a failed bind
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketError } from "./errors.ts";
 *
 * const error = new SocketError("EADDRINUSE", "Address already in use");
 * assert.ok(error instanceof Error);
 * assert.equal(error.code, "EADDRINUSE");
 * ```
 */
export class SocketError extends Error {
  /** System error code such as `EADDRINUSE` or `ECONNRESET`. */
  readonly code: string;

  /**
   * Makes a socket error.
   *
   * @param code The system error code.
   * @param message A human-readable description.
   * @param options `cause`: the runtime's original error.
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SocketError";
    this.code = code;
  }
}

/**
 * A read or write did not complete within the handler's `timeout`: Python's
 * `TimeoutError`. Its code is `ETIMEDOUT`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketError, TimeoutError } from "./errors.ts";
 *
 * const error = new TimeoutError("read timed out after 200 ms");
 * assert.ok(error instanceof SocketError);
 * assert.equal(error.code, "ETIMEDOUT");
 * ```
 */
export class TimeoutError extends SocketError {
  /**
   * Makes a timeout error.
   *
   * @param message What timed out.
   */
  constructor(message: string) {
    super(ErrorCode.ETIMEDOUT, message);
    this.name = "TimeoutError";
  }
}

/**
 * `readline()` found no line end within its limit. The bytes read so far stay
 * buffered, so the handler may still `read()` them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineTooLongError } from "./errors.ts";
 *
 * const error = new LineTooLongError(65536);
 * assert.equal(error.code, "ERR_LINE_TOO_LONG");
 * assert.equal(error.limit, 65536);
 * ```
 */
export class LineTooLongError extends Error {
  /** Always `ERR_LINE_TOO_LONG`. */
  readonly code: "ERR_LINE_TOO_LONG" = ErrorCode.ERR_LINE_TOO_LONG;
  /** The limit that was exceeded, in bytes. */
  readonly limit: number;

  /**
   * Makes a line-too-long error.
   *
   * @param limit The limit that was exceeded, in bytes.
   */
  constructor(limit: number) {
    super(`line longer than the limit of ${limit} bytes`);
    this.name = "LineTooLongError";
    this.limit = limit;
  }
}

/**
 * The server, or the connection, was closed while an operation waited on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServerClosedError } from "./errors.ts";
 *
 * assert.equal(new ServerClosedError().code, "ERR_SERVER_CLOSED");
 * ```
 */
export class ServerClosedError extends Error {
  /** Always `ERR_SERVER_CLOSED`. */
  readonly code: "ERR_SERVER_CLOSED" = ErrorCode.ERR_SERVER_CLOSED;

  /**
   * Makes a server-closed error.
   *
   * @param message What was closed.
   */
  constructor(message = "server is closed") {
    super(message);
    this.name = "ServerClosedError";
  }
}

/**
 * The running runtime cannot offer a feature (a socket option, a transport).
 * The message names the runtime and, where there is one, the alternative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NotSupportedError } from "./errors.ts";
 *
 * const error = new NotSupportedError("reusePort needs Node 22.12 or later");
 * assert.equal(error.code, "ERR_NOT_SUPPORTED");
 * ```
 */
export class NotSupportedError extends Error {
  /** Always `ERR_NOT_SUPPORTED`. */
  readonly code: "ERR_NOT_SUPPORTED" = ErrorCode.ERR_NOT_SUPPORTED;

  /**
   * Makes a not-supported error.
   *
   * @param message What is missing, on which runtime, and the alternative.
   */
  constructor(message: string) {
    super(message);
    this.name = "NotSupportedError";
  }
}

/**
 * A worker thread or child process could not load the handler, crashed, or
 * ran past `handlerTimeout`. Requests it was serving get this error through
 * `handleError`, their connections are closed, and a new worker takes its
 * place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkerError } from "./errors.ts";
 *
 * const error = new WorkerError("worker 2 exited with code 1");
 * assert.equal(error.code, "ERR_WORKER");
 * ```
 */
export class WorkerError extends Error {
  /** Always `ERR_WORKER`. */
  readonly code: "ERR_WORKER" = ErrorCode.ERR_WORKER;

  /**
   * Makes a worker error.
   *
   * @param message Which worker, and what happened to it.
   */
  constructor(message: string) {
    super(message);
    this.name = "WorkerError";
  }
}

/**
 * A connection to a server with `proxyProtocol` did not start with a valid
 * PROXY protocol header (version 1 or 2). The connection is closed without
 * reaching the handler; the server goes on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProxyProtocolError } from "./errors.ts";
 *
 * const error = new ProxyProtocolError("no PROXY protocol header");
 * assert.equal(error.code, "ERR_PROXY_PROTOCOL");
 * ```
 */
export class ProxyProtocolError extends Error {
  /** Always `ERR_PROXY_PROTOCOL`. */
  readonly code: "ERR_PROXY_PROTOCOL" = ErrorCode.ERR_PROXY_PROTOCOL;

  /**
   * Makes a PROXY protocol error.
   *
   * @param message What was wrong with the header.
   */
  constructor(message: string) {
    super(message);
    this.name = "ProxyProtocolError";
  }
}

/**
 * Wraps a runtime's error in a {@linkcode SocketError}, keeping its code.
 * Errors this library made itself pass through unchanged. Adapters call it
 * with the code to use when the runtime gave none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketError, toSocketError } from "./errors.ts";
 *
 * const raw = Object.assign(new Error("reset"), { code: "ECONNRESET" });
 * const error = toSocketError(raw, "EIO");
 * assert.ok(error instanceof SocketError);
 * assert.equal(error.code, "ECONNRESET");
 * assert.equal(error.cause, raw);
 * ```
 *
 * @param error What the runtime threw.
 * @param fallbackCode The code to use when `error` carries none.
 * @returns A `SocketError`, or `error` itself if it is one of this library's.
 */
export function toSocketError(error: unknown, fallbackCode: string): Error {
  if (
    error instanceof SocketError || error instanceof NotSupportedError ||
    error instanceof ServerClosedError
  ) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new SocketError(
    typeof code === "string" && code !== "" ? code : fallbackCode,
    message,
    { cause: error },
  );
}

/** The system codes in words, so messages read the same on every runtime. */
const CODE_TEXT: Readonly<Record<string, string>> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this machine",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTFOUND: "host name not found",
  ECONNRESET: "connection reset by peer",
  ECONNREFUSED: "connection refused",
  EPIPE: "connection closed",
  ENOTCONN: "not connected",
  EMSGSIZE: "message too long",
  EDESTADDRREQ: "no address to send to",
  EINVAL: "invalid argument",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "input/output error",
};

/** Marks an error {@linkcode socketErrorAt} has already named. */
const NAMED: unique symbol = Symbol("named");

/**
 * Names a {@linkcode SocketError}: what failed, where, and why, in the same
 * words on every runtime: `listen on 127.0.0.1:8080: address already in
 * use (EADDRINUSE)`. The error it replaces is its `cause`. Anything else
 * (other errors, timeouts, errors already named) passes unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketError, socketErrorAt } from "./errors.ts";
 *
 * const raw = new SocketError("EADDRINUSE", "Address in use (os error 98)");
 * const error = socketErrorAt(raw, "listen on", "127.0.0.1:8080") as Error;
 * assert.equal(
 *   error.message,
 *   "listen on 127.0.0.1:8080: address already in use (EADDRINUSE)",
 * );
 * assert.equal(error.cause, raw);
 * ```
 *
 * @param error What a driver threw.
 * @param operation What failed, as a verb and a preposition: `"listen
 * on"`, `"recv from"`, `"send to"`.
 * @param address The address concerned, as text.
 * @returns The named error, or `error` itself.
 */
export function socketErrorAt(
  error: unknown,
  operation: string,
  address: string,
): unknown {
  const prefix = `${operation} ${address}: `;
  if (
    !(error instanceof SocketError) || error instanceof TimeoutError ||
    NAMED in error || error.message.startsWith(prefix) // named in a worker
  ) return error;
  const text = CODE_TEXT[error.code] ?? error.message;
  const named = new SocketError(
    error.code,
    `${prefix}${text} (${error.code})`,
    { cause: error },
  );
  Object.defineProperty(named, NAMED, { value: true });
  return named;
}

/**
 * A connection's failed read (`"recv from"`) or write (`"send to"`) as a
 * {@linkcode SocketError} named by {@linkcode socketErrorAt}: drivers call
 * it where the runtime's error arrives, so no read or write pays for it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectionError } from "./errors.ts";
 *
 * const raw = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
 * const peer = { hostname: "127.0.0.1", port: 5555 };
 * assert.equal(
 *   connectionError(raw, "EIO", "recv from", peer).message,
 *   "recv from 127.0.0.1:5555: connection reset by peer (ECONNRESET)",
 * );
 * ```
 *
 * @param error What the runtime threw.
 * @param fallbackCode The code to use when `error` carries none.
 * @param operation `"recv from"` or `"send to"`.
 * @param peer The connection's remote address.
 * @returns The named error (the library's own errors pass unchanged).
 */
export function connectionError(
  error: unknown,
  fallbackCode: string,
  operation: "recv from" | "send to",
  peer: unknown,
): Error {
  return socketErrorAt(
    toSocketError(error, fallbackCode),
    operation,
    describeAddress(peer),
  ) as Error;
}

/**
 * What a write to a connection that is already closed fails with, on every
 * driver: `send to ADDR: connection closed (EPIPE)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closedConnectionError } from "./errors.ts";
 *
 * const error = closedConnectionError({ hostname: "127.0.0.1", port: 5555 });
 * assert.equal(error.message, "send to 127.0.0.1:5555: connection closed (EPIPE)");
 * ```
 *
 * @param peer The connection's remote address.
 * @param cause The runtime's own error, if it gave one.
 * @returns The named error.
 */
export function closedConnectionError(peer: unknown, cause?: unknown): Error {
  const closed = new SocketError(
    "EPIPE",
    "the connection is closed",
    cause === undefined ? undefined : { cause },
  );
  return connectionError(closed, "EPIPE", "send to", peer);
}
