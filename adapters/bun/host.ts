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
import { endOfTurn } from "../_shared/batch.ts";
import { descriptorHandover } from "./handover.ts";
import { libc } from "./libc.ts";

const NO_DUP =
  "Bun's workers take a connection's descriptor, which bun:ffi could not duplicate here (no C library it knows); their connections are relayed";

/**
 * Bun's threads, children and signals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bunHost } from "./host.ts";
 *
 * assert.match(bunHost.unsupported("threadHandoverTls") ?? "", /relayed/);
 * ```
 */
export const bunHost: Host = {
  unsupported(feature: HostFeature): string | undefined {
    // postMessage refuses sockets (DataCloneError), node:worker_threads
    // too; a descriptor passes, through bun:ffi's dup() (handover.ts).
    if (feature === "threadHandover") {
      return libc() ? undefined : NO_DUP;
    }
    // Bun's TLS sockets on a descriptor are clients only.
    return feature === "threadHandoverTls"
      ? "Bun's workers cannot run a server's TLS handshake on a descriptor; TLS connections are relayed"
      : undefined;
  },
  startThread(events: WorkerEvents): WorkerLink {
    const calls = libc();
    return startWebWorker(
      events,
      endOfTurn,
      calls && descriptorHandover(calls),
    );
  },
  spawnChild(stdin: string): ChildProcessHandle {
    const child = entry("bun/child").pathname;
    return spawnWithIpc(process.execPath, [child], stdin);
  },
  onSignal: onProcessSignal,
};
