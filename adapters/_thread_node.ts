/**
 * The entry module of a worker thread on Node (`worker_threads`).
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import { serveParent } from "../src/pool/worker_main.ts";

const port = parentPort!;
serveParent({
  send: (message, transfer) => port.postMessage(message, transfer ?? []),
  listen: (receive) => port.on("message", receive),
});
