/**
 * How a server runs its `RequestHandlerClass`: a handler class through its
 * life cycle (`setup`, `handle`, `finish`), or a plain function called once.
 * Apart from the handler class, so that servers and handlers do not import
 * each other.
 *
 * @module
 */

import { describe } from "../address.ts";
import {
  BaseRequestHandler,
  type RequestHandlerClass,
} from "./base_handler.ts";

/**
 * Throws a `TypeError` unless `value` can serve as a `RequestHandlerClass`.
 *
 * @param value What the caller passed.
 */
export function checkHandlerClass(value: unknown): void {
  if (typeof value !== "function") {
    throw new TypeError(
      `RequestHandlerClass must be a subclass of BaseRequestHandler or a function, got ${
        describe(value)
      }`,
    );
  }
  if (
    !isHandlerClass(value) &&
    isClassSyntax(value)
  ) {
    throw new TypeError(
      `RequestHandlerClass ${value.name} is a class but does not extend BaseRequestHandler`,
    );
  }
}

/**
 * Serves one request with `factory`: the handler's life cycle, or a plain
 * call for a function.
 *
 * @param factory The server's `RequestHandlerClass`.
 * @param request The request.
 * @param clientAddress The client's address.
 * @param server The server.
 */
export function runHandler<Req, Addr, Srv>(
  factory: RequestHandlerClass<Req, Addr, Srv>,
  request: Req,
  clientAddress: Addr,
  server: Srv,
): Promise<void> {
  // Not async: while an idle client's handler waits, a suspended frame here
  // would cost each connection several hundred bytes; a reaction costs less.
  try {
    // A class is constructed even if it extends another copy of
    // BaseRequestHandler (a worker may load the library twice).
    if (!isHandlerClass(factory) && !isClassSyntax(factory)) {
      return Promise.resolve(
        (factory as (r: Req, a: Addr, s: Srv) => unknown)(
          request,
          clientAddress,
          server,
        ),
      ).then(ignore);
    }
    const Handler = factory as new (
      r: Req,
      a: Addr,
      s: Srv,
    ) => BaseRequestHandler<Req, Addr, Srv>;
    const handler = new Handler(request, clientAddress, server);
    // setup() and finish() are mostly synchronous: no extra turn for them.
    const setup = handler.setup();
    return setup instanceof Promise
      ? setup.then(() => handleThenFinish(handler))
      : handleThenFinish(handler);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `handle()`, then `finish()` even if it threw: Python's `try`/`finally`. */
function handleThenFinish(
  handler: BaseRequestHandler<unknown, unknown, unknown>,
): Promise<void> {
  let handled: unknown;
  try {
    handled = handler.handle();
  } catch (error) {
    return finishThenThrow(handler, error);
  }
  return Promise.resolve(handled).then(
    () => finished(handler.finish()),
    (error) => finishThenThrow(handler, error),
  );
}

/** `finish()` after `handle()` threw; its own failure wins, as in `finally`. */
function finishThenThrow(
  handler: BaseRequestHandler<unknown, unknown, unknown>,
  error: unknown,
): Promise<never> {
  try {
    const finish = handler.finish();
    if (finish instanceof Promise) {
      return finish.then(() => Promise.reject(error));
    }
  } catch (failure) {
    return Promise.reject(failure);
  }
  return Promise.reject(error);
}

function finished(finish: unknown): Promise<void> | undefined {
  return finish instanceof Promise ? finish.then(ignore) : undefined;
}

function ignore(): void {}

function isClassSyntax(value: unknown): boolean {
  return Function.prototype.toString.call(value).startsWith("class");
}

function isHandlerClass(value: unknown): boolean {
  return value === BaseRequestHandler ||
    (typeof value === "function" &&
      value.prototype instanceof BaseRequestHandler);
}
