/**
 * The `Driver` a server takes: one runtime's {@linkcode Sockets} and
 * {@linkcode Host} together, and which driver a server uses when none is
 * given.
 *
 * The core cannot look at runtime globals, so `mod.ts` registers a function
 * that detects the runtime and returns its adapter's driver.
 *
 * @module
 */

import type { Host, HostFeature } from "./host.ts";
import type { SocketFeature, Sockets } from "./transport.ts";

/** A feature a driver may lack: see `SocketFeature` and `HostFeature`. */
export type DriverFeature = SocketFeature | HostFeature;

/**
 * One runtime's sockets and host, as servers use them.
 *
 * Adapters export one of these (`adapters/deno.ts`, `adapters/bun.ts`,
 * `adapters/node.ts`); servers take it through their `driver` option, or
 * `mod.ts` picks the one for the running runtime.
 */
export interface Driver
  extends Omit<Sockets, "unsupported">, Omit<Host, "unsupported"> {
  /** Short name used in messages and test titles: `"deno"`, `"bun"`, `"node"`. */
  readonly name: string;
  /**
   * Why this driver cannot offer `feature` here, or `undefined` if it can.
   * Servers ask in their constructor, so the error comes before any socket.
   */
  unsupported(feature: DriverFeature): string | undefined;
}

let pick: (() => Driver) | undefined;
let picked: Driver | undefined;

/**
 * Registers how to find the default driver. `mod.ts` calls this; programs
 * that import the core without `mod.ts` pass a `driver` option instead.
 *
 * @example
 * ```ts
 * import { setDefaultDriver } from "./driver.ts";
 * import { driver } from "../adapters/node.ts";
 *
 * setDefaultDriver(() => driver);
 * ```
 *
 * @param find Returns the driver for the running runtime.
 */
export function setDefaultDriver(find: () => Driver): void {
  pick = find;
  picked = undefined;
}

/**
 * The driver to use: `explicit` if given, else the registered default.
 * Synchronous, so a server can check what the driver offers in its
 * constructor, before any socket exists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDriver } from "./driver.ts";
 * import { driver } from "../adapters/node.ts";
 *
 * assert.equal(resolveDriver(driver), driver);
 * ```
 *
 * @param explicit The server's `driver` option, if any.
 * @returns The driver.
 * @throws {Error} When no driver is given and none is registered.
 */
export function resolveDriver(explicit: Driver | undefined): Driver {
  if (explicit) return explicit;
  if (!pick) {
    throw new Error(
      "no socket driver: import the library from mod.ts, or pass the `driver` option (adapters/deno.ts, adapters/bun.ts, adapters/node.ts)",
    );
  }
  return picked ??= pick();
}
