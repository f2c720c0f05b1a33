/**
 * A promise with its resolve and reject functions exposed
 * (`Promise.withResolvers`, which Node 20 lacks), and a deadline race.
 *
 * @module
 */

/** A promise and the functions that settle it. */
export interface Deferred<T> {
  /** The promise. */
  promise: Promise<T>;
  /** Fulfils the promise. */
  resolve(value: T): void;
  /** Rejects the promise. */
  reject(reason: unknown): void;
}

/** Creates a {@linkcode Deferred}. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Whether `promise` settles before the `deadline` (a `Date.now()` time); a
 * rejection before it rejects. `Infinity` waits as long as it takes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settlesBy } from "./_deferred.ts";
 *
 * assert.equal(await settlesBy(Promise.resolve(), Date.now() + 10), true);
 * assert.equal(await settlesBy(new Promise(() => {}), Date.now() + 10), false);
 * ```
 *
 * @param promise What to wait for.
 * @param deadline Until when.
 * @returns `true` if it settled in time.
 */
export async function settlesBy(
  promise: Promise<unknown>,
  deadline: number,
): Promise<boolean> {
  if (deadline === Infinity) {
    await promise;
    return true;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<false>((resolve) =>
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))
  );
  try {
    return await Promise.race([promise.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
