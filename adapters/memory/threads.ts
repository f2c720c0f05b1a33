/**
 * Worker threads of the memory driver, run in this thread: each is the
 * library's worker code (`serveParent`) at the far end of a
 * `MessageChannel`, so messages are cloned and delivered as a real
 * worker's are, and a pool's bookkeeping (the least busy worker, the
 * relay's window, replacing a worker that died or hung) runs as it does
 * with threads. What it cannot give is isolation: a handler that blocks
 * blocks everything, and a stopped worker's handler is abandoned, not
 * stopped.
 *
 * @module
 */

import type { WorkerEvents, WorkerLink } from "../../src/host.ts";
import type { FromWorker, ToWorker } from "../../src/pool/messages.ts";
import { serveParent } from "../../src/pool/worker_main.ts";

/**
 * One worker run in this thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InProcessWorker } from "./threads.ts";
 *
 * const ends: string[] = [];
 * const worker = new InProcessWorker({
 *   message: () => {},
 *   exit: (how) => ends.push(how),
 * });
 * worker.kill();
 * assert.equal(worker.alive, false);
 * assert.deepEqual(ends, ["was killed"]);
 * ```
 */
export class InProcessWorker {
  #server: MessagePort;
  #worker: MessagePort;
  #events: WorkerEvents;
  #alive = true;

  /**
   * Starts the worker code, waiting for the pool's first message.
   *
   * @param events Where its messages and its end go.
   */
  constructor(events: WorkerEvents) {
    const channel = new MessageChannel();
    this.#server = channel.port1;
    this.#worker = channel.port2;
    this.#events = events;
    this.#server.onmessage = (event) => {
      if (this.#alive) events.message(event.data);
    };
    const worker = this.#worker;
    serveParent({
      send: (message: FromWorker, transfer?: ArrayBuffer[]) =>
        worker.postMessage(message, transfer ?? []),
      listen: (receive: (message: ToWorker) => void) => {
        worker.onmessage = (event) => receive(event.data);
      },
    });
  }

  /** Whether it still runs. */
  get alive(): boolean {
    return this.#alive;
  }

  /** The server's end of the link. */
  link(): WorkerLink {
    return {
      send: (message: unknown, transfer?: ArrayBuffer[]) => {
        if (this.#alive) this.#server.postMessage(message, transfer ?? []);
      },
      terminate: () => {
        this.#stop();
        return Promise.resolve();
      },
    };
  }

  /** Ends it as a crash would: the pool hears `how`. */
  kill(how = "was killed"): void {
    if (!this.#alive) return;
    this.#stop();
    this.#events.exit(how);
  }

  #stop(): void {
    this.#alive = false;
    this.#server.close();
    this.#worker.close();
  }
}
