/**
 * Which {@linkcode Driver} a server uses when none is given.
 *
 * The core cannot look at runtime globals, so `mod.ts` registers a loader
 * that detects the runtime and imports its adapter on first use.
 *
 * @module
 */

import type { Driver } from "./transport.ts";

let loader: (() => Promise<Driver>) | undefined;
let loaded: Promise<Driver> | undefined;

/**
 * Registers how to load the default driver. `mod.ts` calls this; programs
 * that import the core without `mod.ts` pass a `driver` option instead.
 *
 * @example
 * ```ts
 * import { setDefaultDriverLoader } from "./driver.ts";
 * import { driver } from "../adapters/node.ts";
 *
 * setDefaultDriverLoader(() => Promise.resolve(driver));
 * ```
 *
 * @param load Returns the driver for the running runtime.
 */
export function setDefaultDriverLoader(load: () => Promise<Driver>): void {
  loader = load;
  loaded = undefined;
}

/**
 * The driver to use: `explicit` if given, else the registered default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveDriver } from "./driver.ts";
 * import { driver } from "../adapters/node.ts";
 *
 * assert.equal(await resolveDriver(driver), driver);
 * ```
 *
 * @param explicit The server's `driver` option, if any.
 * @returns The driver.
 */
export function resolveDriver(explicit: Driver | undefined): Promise<Driver> {
  if (explicit) return Promise.resolve(explicit);
  if (!loader) {
    return Promise.reject(
      new Error(
        "no socket driver: import the library from mod.ts, or pass the `driver` option (adapters/deno.ts, adapters/bun.ts, adapters/node.ts)",
      ),
    );
  }
  return loaded ??= loader();
}
