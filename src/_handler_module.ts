/**
 * Workers load the handler from its module. A program written as Python's
 * examples are, handler and server in one file, starts its server at the
 * module's top level, so every worker importing it would start a server
 * (and its workers, and theirs). While a worker imports a handler module,
 * a server constructed there records its handler class and stops the
 * module's evaluation instead: the worker takes the handler from it, and
 * no server starts.
 *
 * @module
 */

/** Where a worker's import in progress collects handler classes. */
const LOADING: unique symbol = Symbol.for(
  "socketserver.loadingHandlerModule",
) as never;

type Registry = { [LOADING]?: Map<string, unknown> };

/**
 * Thrown by a server constructed while a worker imports its handler's
 * module: the module's remaining top level (starting the server) does not
 * run in the worker.
 */
export class ServerInWorker extends Error {
  constructor() {
    super(
      "a worker imported the handler's module, whose top level starts a server: the worker took the handler class and started no server (guard start-up with `if (import.meta.main)` to run nothing at all in workers)",
    );
    this.name = "ServerInWorker";
  }
}

/**
 * Called by every server's constructor: inside a worker's import of a
 * handler module, records `handler` and throws {@linkcode ServerInWorker}.
 *
 * @example
 * ```ts
 * import { noteServerConstructed } from "./_handler_module.ts";
 *
 * noteServerConstructed(class Echo {}); // outside a worker's import: nothing
 * ```
 *
 * @param handler The handler class the server was given.
 */
export function noteServerConstructed(handler: unknown): void {
  const captured = (globalThis as Registry)[LOADING];
  if (!captured) return;
  if (typeof handler === "function" && handler.name !== "") {
    captured.set(handler.name, handler);
  }
  throw new ServerInWorker();
}

/**
 * Imports a handler module as a worker does: if its top level constructs
 * a server, the evaluation stops there and the handler classes given to
 * servers so far are returned instead of the exports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importHandlerModule } from "./_handler_module.ts";
 *
 * const { exports } = await importHandlerModule(() => import("./_deferred.ts"));
 * assert.equal(typeof exports?.deferred, "function");
 * ```
 *
 * @param load Imports the module.
 * @returns Its exports, or the handlers its servers were given.
 */
export async function importHandlerModule(
  load: () => Promise<Record<string, unknown>>,
): Promise<{
  exports?: Record<string, unknown>;
  constructed?: Map<string, unknown>;
}> {
  const registry = globalThis as Registry;
  const captured = new Map<string, unknown>();
  registry[LOADING] = captured;
  try {
    return { exports: await load() };
  } catch (error) {
    // By name: the module may load another copy of this library.
    if ((error as Error | null)?.name === "ServerInWorker") {
      return { constructed: captured };
    }
    throw error;
  } finally {
    delete registry[LOADING];
  }
}
