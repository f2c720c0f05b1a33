/**
 * The entry module of a worker thread on Deno and Bun (web `Worker`s)
 * whose connections are relayed.
 *
 * @module
 */

import { serveParent } from "../../src/pool/worker_main.ts";
import { webParent } from "./web_parent.ts";
import { bindInWorker, listenInWorker } from "./worker_listen.ts";

serveParent({
  ...webParent(),
  listenTcp: listenInWorker,
  bindUdp: bindInWorker,
});
