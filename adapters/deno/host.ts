/**
 * Deno's host: web `Worker`s for threads, `deno run` children (with the
 * permissions this process has, and `--unstable-net` if it has it) and
 * Deno's signal listeners.
 *
 * @module
 */

import type {
  ChildProcessHandle,
  Host,
  HostFeature,
  ShutdownSignal,
  WorkerEvents,
  WorkerLink,
} from "../../src/host.ts";
import { spawnWithIpc } from "../_node/spawn.ts";
import { entry } from "../_shared/entry.ts";
import { endOfMicrotasks } from "../../src/pool/batch.ts";
import { startWebWorker } from "../_shared/web_worker.ts";
import { deno, type DenoApi, hasUnstableNet } from "./api.ts";

/** The permissions a child gets when the server has them in full. */
const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;

/** `--allow-*` for each permission this process has without limits. */
function permissionFlags(api: DenoApi): string[] {
  return PERMISSIONS.flatMap((name) => {
    try {
      return api.permissions.querySync({ name }).state === "granted"
        ? [`--allow-${name}`]
        : [];
    } catch {
      return []; // a permission this Deno does not know
    }
  });
}

/** Deno's workers cannot take a socket: a `postMessage` empties it. */
const NO_THREAD_HANDOVER =
  "Deno's workers cannot take a socket; their connections are relayed";

/**
 * Deno's threads, children and signals.
 *
 * @example
 * ```ts
 * import { denoHost } from "./host.ts";
 *
 * const off = denoHost.onSignal("SIGTERM", () => console.log("stopping"));
 * off();
 * ```
 */
export const denoHost: Host = {
  unsupported(feature: HostFeature): string | undefined {
    return feature === "threadHandover" || feature === "threadHandoverTls"
      ? NO_THREAD_HANDOVER
      : undefined;
  },
  startThread(events: WorkerEvents): WorkerLink {
    // Deno completes the reads of a turn in one call, so what they relay
    // is together by the end of its microtasks: sent then, sooner and
    // cheaper than at the end of the turn (measured: 10 % less CPU).
    return startWebWorker(events, endOfMicrotasks);
  },
  spawnChild(stdin: string): ChildProcessHandle {
    const api = deno();
    return spawnWithIpc(
      api.execPath(),
      [
        "run",
        ...permissionFlags(api),
        // Children listening on the port themselves need it, as this did.
        ...(hasUnstableNet() ? ["--unstable-net"] : []),
        entry("_node/child").href,
      ],
      stdin,
    );
  },
  onSignal(signal: ShutdownSignal, listener: () => void): () => void {
    const api = deno();
    api.addSignalListener(signal, listener);
    return () => api.removeSignalListener(signal, listener);
  },
};
