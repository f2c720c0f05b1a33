/**
 * Checking option objects, so a typo fails loudly before any socket opens.
 *
 * @module
 */

import { describe } from "./address.ts";

/**
 * Throws a `TypeError` if `options` is not an object or has a key outside
 * `known`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOptionKeys } from "./options.ts";
 *
 * checkOptionKeys({ driver: undefined }, ["driver"], "TCPServer options");
 * assert.throws(() => checkOptionKeys({ bindAndActive: false }, ["bindAndActivate"], "TCPServer options"), TypeError);
 * ```
 *
 * @param options What the caller passed.
 * @param known The accepted keys.
 * @param what How to name the object in the message.
 */
export function checkOptionKeys(
  options: unknown,
  known: readonly string[],
  what: string,
): void {
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw new TypeError(`${what} must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `unknown option ${JSON.stringify(key)} in ${what}; known: ${
          known.join(", ")
        }`,
      );
    }
  }
}

/**
 * Throws a `RangeError` unless `value` is `null` or a finite number of
 * milliseconds from 0 up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDuration } from "./options.ts";
 *
 * checkDuration(null, "timeout");
 * checkDuration(500, "timeout");
 * assert.throws(() => checkDuration(-1, "timeout"), RangeError);
 * ```
 *
 * @param value The duration to check.
 * @param name How to name it in the message.
 */
export function checkDuration(value: unknown, name: string): void {
  if (
    value !== null &&
    !(typeof value === "number" && value >= 0 && value < Infinity)
  ) {
    throw new RangeError(
      `${name} must be null or a finite number of milliseconds >= 0, got ${
        describe(value)
      }`,
    );
  }
}
