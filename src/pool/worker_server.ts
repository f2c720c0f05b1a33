/**
 * `WorkerServer`: what a handler running in a worker thread or child process
 * gets as `this.server`.
 *
 * @module
 */

import type { SocketAddress } from "../transport.ts";

/**
 * The server as a handler in a worker sees it. Workers share no memory with
 * the server, so this is a copy of what can be copied (the address, the
 * `workerData` the server was given) and a way to ask the server to stop.
 * Other fields and methods of the server class, and anything a handler
 * stores here, stay in this worker.
 *
 * @example A handler that names the worker serving it
 * ```ts
 * import { StreamRequestHandler, type WorkerServer } from "../../mod.ts";
 *
 * export class WhoAmI extends StreamRequestHandler<WorkerServer> {
 *   static module = import.meta.url; // where workers find this class
 *   override async handle() {
 *     await this.wfile.write(`worker ${this.server.workerId}\n`);
 *   }
 * }
 * ```
 */
export class WorkerServer {
  /** The address the server is bound to. */
  readonly serverAddress: SocketAddress;
  /** A copy of the server's `workerData`, made when this worker started. */
  readonly workerData: unknown;
  /**
   * This worker's number: 1, 2, ... in start order; a worker that replaces
   * a crashed one gets the next number.
   */
  readonly workerId: number;
  #shutdown: () => Promise<void>;

  /**
   * Made by the worker entry; handlers receive it.
   *
   * @param serverAddress The server's address.
   * @param workerData The server's `workerData`.
   * @param workerId This worker's number.
   * @param shutdown Asks the server to stop.
   */
  constructor(
    serverAddress: SocketAddress,
    workerData: unknown,
    workerId: number,
    shutdown: () => Promise<void>,
  ) {
    this.serverAddress = serverAddress;
    this.workerData = workerData;
    this.workerId = workerId;
    this.#shutdown = shutdown;
  }

  /**
   * Asks the server to stop its `serveForever` loops, as Python handlers
   * call `self.server.shutdown()`; resolves once they have stopped.
   * Handlers still running (this one too) finish first.
   */
  shutdown(): Promise<void> {
    return this.#shutdown();
  }
}
