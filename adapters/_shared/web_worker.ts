/**
 * Worker threads for the runtimes with web `Worker`s (Deno and Bun): the
 * server's end of the link. Their workers cannot take a socket, so their
 * connections are relayed.
 *
 * @module
 */

import type { WorkerEvents, WorkerLink } from "../../src/host.ts";
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

/**
 * Starts a web `Worker` running `thread_web.ts`.
 *
 * @param events Where its messages and its end go.
 * @param flush When what the server sends it goes out (see batch.ts).
 * @returns The link.
 */
export function startWebWorker(
  events: WorkerEvents,
  flush: Schedule = endOfTurn,
): WorkerLink {
  const Worker = (globalThis as unknown as { Worker: WebWorkerConstructor })
    .Worker;
  const worker = new Worker(
    entry("_shared/thread_web"),
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
  const died = (how: string) => {
    if (!alive) return;
    alive = false;
    outbox.clear();
    worker.terminate();
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
    terminate(): Promise<void> {
      alive = false;
      outbox.clear();
      worker.terminate();
      return Promise.resolve();
    },
  };
}
