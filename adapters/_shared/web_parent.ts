/**
 * A web `Worker`'s end of its link to the server (Deno and Bun): what it
 * sends goes out batched, with small bytes packed (`batch.ts`).
 *
 * @module
 */

import { Batcher, endOfMicrotasks, unbatch } from "../../src/pool/batch.ts";
import type { ToWorker } from "../../src/pool/messages.ts";
import type { ParentPort } from "../../src/pool/worker_main.ts";

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
};

/**
 * The link's two ends for `serveParent`, run inside a web `Worker`.
 *
 * @param take Sees each message first; those it returns `true` for are its
 * own (a runtime's handover), the rest go to the worker's loop.
 * @returns `send` and `listen`.
 *
 * @example Inside a worker only: its global scope is the link
 * ```ts ignore
 * import { serveParent } from "../../src/pool/worker_main.ts";
 * import { webParent } from "./web_parent.ts";
 *
 * serveParent(webParent());
 * ```
 */
export function webParent(
  take?: (message: unknown) => boolean,
): Pick<ParentPort, "send" | "listen"> {
  const outbox = new Batcher(
    (message, transfer) => scope.postMessage(message, transfer),
    endOfMicrotasks,
    true,
  );
  return {
    send: (message, transfer) => outbox.send(message, transfer),
    listen: (receive: (message: ToWorker) => void) => {
      const deliver = take
        ? (message: ToWorker) => void (take(message) || receive(message))
        : receive;
      scope.onmessage = (event) => unbatch(event.data, deliver);
    },
  };
}
