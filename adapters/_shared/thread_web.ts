/**
 * The entry module of a worker thread on Deno and Bun (web `Worker`s).
 *
 * @module
 */

import { serveParent } from "../../src/pool/worker_main.ts";
import { listenInWorker } from "./worker_listen.ts";

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
};

serveParent({
  send: (message, transfer) => scope.postMessage(message, transfer ?? []),
  listen: (receive) => {
    scope.onmessage = (event) => receive(event.data as never);
  },
  listenTcp: listenInWorker,
});
