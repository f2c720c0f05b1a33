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
export async function runHandler<Req, Addr, Srv>(
  factory: RequestHandlerClass<Req, Addr, Srv>,
  request: Req,
  clientAddress: Addr,
  server: Srv,
): Promise<void> {
  // A class is constructed even if it extends another copy of
  // BaseRequestHandler (a worker may load the library twice).
  if (!isHandlerClass(factory) && !isClassSyntax(factory)) {
    await (factory as (r: Req, a: Addr, s: Srv) => unknown)(
      request,
      clientAddress,
      server,
    );
    return;
  }
  const Handler = factory as new (
    r: Req,
    a: Addr,
    s: Srv,
  ) => BaseRequestHandler<Req, Addr, Srv>;
  const handler = new Handler(request, clientAddress, server);
  // setup() and finish() are mostly synchronous: no await, no extra turn.
  const setup = handler.setup();
  if (setup instanceof Promise) await setup;
  try {
    await handler.handle();
  } finally {
    const finish = handler.finish();
    if (finish instanceof Promise) await finish;
  }
}

function isClassSyntax(value: unknown): boolean {
  return Function.prototype.toString.call(value).startsWith("class");
}

function isHandlerClass(value: unknown): boolean {
  return value === BaseRequestHandler ||
    (typeof value === "function" &&
      value.prototype instanceof BaseRequestHandler);
}
