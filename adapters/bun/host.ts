/**
 * Bun's host: web `Worker`s for threads, `bun` children and signals
 * through `node:process`.
 *
 * @module
 */

import process from "node:process";
import type {
  ChildProcessHandle,
  Host,
  HostFeature,
  WorkerEvents,
  WorkerLink,
} from "../../src/host.ts";
import { onProcessSignal } from "../_node/signals.ts";
import { spawnWithIpc } from "../_node/spawn.ts";
import { entry } from "../_shared/entry.ts";
import { startWebWorker } from "../_shared/web_worker.ts";

/**
 * Bun's threads, children and signals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bunHost } from "./host.ts";
 *
 * assert.match(bunHost.unsupported("threadHandover") ?? "", /relayed/);
 * ```
 */
export const bunHost: Host = {
  unsupported(feature: HostFeature): string | undefined {
    // postMessage refuses sockets (DataCloneError), node:worker_threads too.
    return feature === "threadHandover"
      ? "Bun's workers cannot take a socket; their connections are relayed"
      : undefined;
  },
  startThread(events: WorkerEvents): WorkerLink {
    return startWebWorker(events);
  },
  spawnChild(stdin: string): ChildProcessHandle {
    const child = entry("_node/child").pathname;
    return spawnWithIpc(process.execPath, [child], stdin);
  },
  onSignal: onProcessSignal,
};
