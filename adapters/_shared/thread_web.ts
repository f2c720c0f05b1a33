/**
 * The entry module of a worker thread on Deno and Bun (web `Worker`s).
 *
 * @module
 */

import { serveParent } from "../../src/pool/worker_main.ts";
import { Batcher, endOfMicrotasks, unbatch } from "../../src/pool/batch.ts";
import { bindInWorker, listenInWorker } from "./worker_listen.ts";

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
};

const outbox = new Batcher(
  (message, transfer) => scope.postMessage(message, transfer),
  endOfMicrotasks,
  true,
);

serveParent({
  send: (message, transfer) => outbox.send(message, transfer),
  listen: (receive) => {
    scope.onmessage = (event) => unbatch(event.data, receive);
  },
  listenTcp: listenInWorker,
  bindUdp: bindInWorker,
});
