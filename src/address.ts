/**
 * Checking and printing socket addresses, before any socket exists.
 *
 * @module
 */

import type { NetAddress, UnixAddress } from "./transport.ts";

/**
 * The longest Unix socket path Linux accepts, in bytes: `sun_path` holds
 * 108 bytes including the terminating NUL. An abstract name (leading `"\0"`)
 * has no terminator and may use all 108.
 */
export const UNIX_PATH_MAX = 107;

/**
 * Checks a TCP/UDP server address and returns a clean copy. Throws a
 * `TypeError` for a wrong shape and a `RangeError` for a port outside
 * 0-65535, so a bad address fails before any socket is opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkNetAddress } from "./address.ts";
 *
 * assert.deepEqual(checkNetAddress({ hostname: "::1", port: 0 }), { hostname: "::1", port: 0 });
 * assert.throws(() => checkNetAddress({ hostname: "127.0.0.1", port: 70000 }), RangeError);
 * ```
 *
 * @param address What the caller passed as `serverAddress`.
 * @returns `{ hostname, port }` with the square brackets of an IPv6 literal removed.
 */
export function checkNetAddress(address: unknown): NetAddress {
  if (typeof address !== "object" || address === null) {
    throw new TypeError(
      `serverAddress must be an object { hostname, port }, got ${
        describe(address)
      }`,
    );
  }
  const { hostname, port } = address as Record<string, unknown>;
  if (typeof hostname !== "string" || hostname.trim() === "") {
    throw new TypeError(
      `serverAddress.hostname must be a non-empty string (use "0.0.0.0" or "::" for all interfaces), got ${
        describe(hostname)
      }`,
    );
  }
  checkPort(port, "serverAddress.port");
  const bare = hostname.startsWith("[") && hostname.endsWith("]")
    ? hostname.slice(1, -1)
    : hostname;
  return { hostname: bare, port: port as number };
}

/**
 * Checks a Unix socket address and returns a clean copy, so a bad path fails
 * before any socket is opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkUnixAddress } from "./address.ts";
 *
 * assert.deepEqual(checkUnixAddress({ path: "/tmp/echo.sock" }), { path: "/tmp/echo.sock" });
 * assert.throws(() => checkUnixAddress({ path: "/tmp/" + "x".repeat(200) }), RangeError);
 * assert.throws(() => checkUnixAddress("/tmp/echo.sock"), TypeError);
 * ```
 *
 * @param address What the caller passed as `serverAddress`.
 * @returns `{ path }`.
 * @throws {TypeError} For a wrong shape, an empty path or a NUL inside a path.
 * @throws {RangeError} For a path longer than {@linkcode UNIX_PATH_MAX} bytes.
 */
export function checkUnixAddress(address: unknown): UnixAddress {
  if (typeof address !== "object" || address === null) {
    throw new TypeError(
      `serverAddress must be an object { path }, got ${describe(address)}`,
    );
  }
  const { path } = address as Record<string, unknown>;
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `serverAddress.path must be a non-empty string, got ${describe(path)}`,
    );
  }
  const abstract = path.startsWith("\0");
  if (!abstract && path.includes("\0")) {
    throw new TypeError("serverAddress.path must not contain a NUL byte");
  }
  const bytes = new TextEncoder().encode(path).length;
  const max = abstract ? UNIX_PATH_MAX + 1 : UNIX_PATH_MAX;
  if (bytes > max) {
    throw new RangeError(
      `serverAddress.path is ${bytes} bytes; Unix socket paths hold at most ${max} (Linux sun_path). Use a shorter path, e.g. under /tmp`,
    );
  }
  return { path };
}

/**
 * Throws unless `port` is an integer from 0 to 65535.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPort } from "./address.ts";
 *
 * checkPort(8080, "port");
 * assert.throws(() => checkPort(-1, "port"), RangeError);
 * assert.throws(() => checkPort(1.5, "port"), RangeError);
 * assert.throws(() => checkPort("80", "port"), TypeError);
 * ```
 *
 * @param port The value to check.
 * @param name How to name it in the message.
 */
export function checkPort(port: unknown, name: string): void {
  if (typeof port !== "number") {
    throw new TypeError(`${name} must be a number, got ${describe(port)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `${name} must be an integer from 0 to 65535, got ${port}`,
    );
  }
}

/**
 * Checks a Unix socket file's `mode` option: permission bits from `0` to
 * `0o777`, for a path on the filesystem (an abstract name has no file).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSocketMode } from "./address.ts";
 *
 * assert.equal(checkSocketMode(0o660, "/tmp/s.sock"), 0o660);
 * assert.equal(checkSocketMode(undefined, "/tmp/s.sock"), undefined);
 * assert.throws(() => checkSocketMode(0o4777, "/tmp/s.sock"), RangeError);
 * assert.throws(() => checkSocketMode(0o600, "\0abstract"), TypeError);
 * ```
 *
 * @param mode The option's value.
 * @param path The socket path it applies to.
 * @returns The mode, or `undefined` to leave it to the umask.
 * @throws {TypeError} For a mode that is not a number, or an abstract path.
 * @throws {RangeError} For bits outside `0o777`.
 */
export function checkSocketMode(
  mode: unknown,
  path: string,
): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode !== "number") {
    throw new TypeError(
      `mode must be a number such as 0o660, got ${describe(mode)}`,
    );
  }
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new RangeError(
      `mode must be permission bits from 0 to 0o777, got ${mode}`,
    );
  }
  if (path.startsWith("\0")) {
    throw new TypeError("mode: an abstract socket name has no file to chmod");
  }
  return mode;
}

/**
 * Prints an address the way URLs do: `127.0.0.1:8080`, `[::1]:8080`; a
 * Unix socket's address is its path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatAddress } from "./address.ts";
 *
 * assert.equal(formatAddress({ hostname: "::1", port: 80 }), "[::1]:80");
 * assert.equal(formatAddress({ hostname: "127.0.0.1", port: 80 }), "127.0.0.1:80");
 * assert.equal(formatAddress({ path: "/tmp/echo.sock" }), "/tmp/echo.sock");
 * ```
 *
 * @param address The address to print.
 * @returns `host:port`, with IPv6 hosts in brackets, or the path.
 */
export function formatAddress(address: NetAddress | UnixAddress): string {
  if ("path" in address) return address.path;
  const host = address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  return `${host}:${address.port}`;
}

/**
 * Prints any client address: `{ hostname, port }` as
 * {@linkcode formatAddress}, `{ path }` as the quoted path, anything else
 * as JSON or text.
 *
 * @param address A client address of any server class.
 * @returns A one-line description.
 */
export function describeAddress(address: unknown): string {
  if (typeof address === "object" && address !== null) {
    const { hostname, port, path } = address as Partial<
      NetAddress & UnixAddress
    >;
    if (typeof hostname === "string" && typeof port === "number") {
      return formatAddress({ hostname, port });
    }
    if (typeof path === "string") {
      return path === "" ? "an unnamed Unix socket" : JSON.stringify(path);
    }
    return JSON.stringify(address);
  }
  return String(address);
}

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") {
    return `function ${value.name || "(anonymous)"}`;
  }
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}
