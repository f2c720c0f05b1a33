/**
 * Worker threads for the runtimes with web `Worker`s (Deno and Bun): the
 * server's end of the link. Their workers take connections over where the
 * runtime has a way (`Handover`: Bun's pass descriptors); otherwise the
 * connections are relayed.
 *
 * @module
 */

import { WorkerError } from "../../src/errors.ts";
import type { WorkerEvents, WorkerLink } from "../../src/host.ts";
import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import { Batcher, type Schedule, unbatch } from "../../src/pool/batch.ts";
import { endOfTurn } from "./batch.ts";
import { entry } from "./entry.ts";

interface WebWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(
    type: "message" | "error" | "messageerror" | "close",
    listener: (event: {
      data?: unknown;
      message?: string;
      preventDefault?(): void;
    }) => void,
  ): void;
}

type WebWorkerConstructor = new (
  url: URL,
  options: { type: "module"; name?: string },
) => WebWorker;

/** How a runtime's web workers take connections over, where they can. */
export interface Handover {
  /** The workers' entry module, under `adapters/` (see `entry.ts`). */
  entry: string;
  /**
   * Starts handing connections to a new worker.
   *
   * @param post Posts to it at once (after what was batched before).
   * @returns Its `pass()`, and what its end must clean up.
   */
  start(post: (message: unknown) => void): {
    pass(message: unknown, conn?: StreamConn<SocketAddress>): Promise<void>;
    end(): void;
  };
}

/**
 * Starts a web `Worker` running `thread_web.ts`, or the entry of
 * `handover`, which then takes connections over instead of having them
 * relayed.
 *
 * @param events Where its messages and its end go.
 * @param flush When what the server sends it goes out (see batch.ts).
 * @param handover How the worker takes connections over, if it can.
 * @returns The link.
 */
export function startWebWorker(
  events: WorkerEvents,
  flush: Schedule = endOfTurn,
  handover?: Handover,
): WorkerLink {
  const Worker = (globalThis as unknown as { Worker: WebWorkerConstructor })
    .Worker;
  const worker = new Worker(
    entry(handover?.entry ?? "_shared/thread_web"),
    { type: "module", name: "socketserver worker" },
  );
  let alive = true;
  const outbox = new Batcher(
    (message, transfer) => {
      if (alive) worker.postMessage(message, transfer);
    },
    flush,
    true,
  );
  const handing = handover?.start((message) => {
    outbox.flush();
    worker.postMessage(message, []);
  });
  const died = (how: string) => {
    if (!alive) return;
    alive = false;
    outbox.clear();
    worker.terminate();
    handing?.end();
    events.exit(how);
  };
  const deliver = (message: unknown) => events.message(message);
  worker.addEventListener("message", (event) => unbatch(event.data, deliver));
  worker.addEventListener("error", (event) => {
    event.preventDefault?.(); // else Deno ends this process too
    died(`threw outside a handler: ${event.message ?? "unknown error"}`);
  });
  worker.addEventListener("messageerror", () => died("sent a broken message"));
  // Bun only: the worker ended by itself (process.exit() in it, for one).
  worker.addEventListener("close", () => died("exited"));
  return {
    send(message: unknown, transfer?: ArrayBuffer[]): void {
      if (alive) outbox.send(message, transfer);
    },
    pass: handing &&
      ((message, conn) =>
        alive
          ? handing.pass(message, conn)
          : Promise.reject(new WorkerError("the worker is gone"))),
    terminate(): Promise<void> {
      alive = false;
      outbox.clear();
      worker.terminate();
      handing?.end();
      return Promise.resolve();
    },
  };
}
