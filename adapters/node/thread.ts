/**
 * The entry module of a worker thread on Node (`worker_threads`). Where
 * Node can move a socket to a thread (24.20 and later), the server sends
 * its connections here with `adopt` messages, each carrying its socket.
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import type { ToChild, ToWorker } from "../../src/pool/messages.ts";
import { serveParent } from "../../src/pool/worker_main.ts";
import { takeOver } from "../_node/take_over.ts";
import { Batcher, endOfMicrotasks, unbatch } from "../../src/pool/batch.ts";
import { bindInWorker, listenInWorker } from "../_shared/worker_listen.ts";

const port = parentPort!;
let take: ReturnType<typeof takeOver> | undefined;
const outbox = new Batcher(
  (message, transfer) => port.postMessage(message, transfer),
  endOfMicrotasks,
  true,
);
let receive: ((message: ToWorker) => void) | undefined;
/** One message: a socket moved here goes to `take`, the rest to the loop. */
const deliver = (message: ToWorker | ToChild & { socket?: unknown }) => {
  if (message.t === "streams" || message.t === "adopt") {
    take?.(message, "socket" in message ? message.socket : undefined);
  } else receive?.(message as ToWorker);
};
serveParent({
  send: (message, transfer) => outbox.send(message, transfer),
  listen: (receiver) => {
    receive = receiver;
    port.on("message", (data) => unbatch(data, deliver));
  },
  adopt: (serve) => {
    take = takeOver(serve);
  },
  listenTcp: listenInWorker,
  bindUdp: bindInWorker,
});
