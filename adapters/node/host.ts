/**
 * Node's host: `worker_threads` for threads (which take TCP connections
 * over from Node 24.20 on), `node` children with the flags that load this
 * code, and signals through `node:process`. Only ever used on Node itself:
 * the node driver on Deno and Bun runs on their hosts.
 *
 * @module
 */

import type * as net from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { WorkerError } from "../../src/errors.ts";
import type {
  ChildProcessHandle,
  Host,
  HostFeature,
  WorkerEvents,
  WorkerLink,
} from "../../src/host.ts";
import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import { childFlags } from "../_node/child_flags.ts";
import { Batcher, unbatch } from "../../src/pool/batch.ts";
import { endOfTurn } from "../_shared/batch.ts";
import { handOver } from "../_node/conn.ts";
import { onProcessSignal } from "../_node/signals.ts";
import { spawnWithIpc } from "../_node/spawn.ts";
import { entry } from "../_shared/entry.ts";
import { nodeAtLeast } from "./version.ts";

/**
 * Node moves a TCP socket to a worker thread from 24.20 on (#64225; 25
 * does not).
 */
const MOVES_SOCKETS_TO_THREADS = nodeAtLeast(26, 0) ||
  (nodeAtLeast(24, 20) && !nodeAtLeast(25, 0));

function startThread(events: WorkerEvents): WorkerLink {
  const worker = new Worker(entry("node/thread"));
  let alive = true;
  const outbox = new Batcher(
    (message, transfer) => {
      if (alive) worker.postMessage(message, transfer);
    },
    endOfTurn,
    true,
  );
  const died = (how: string) => {
    if (!alive) return;
    alive = false;
    outbox.clear();
    void worker.terminate();
    events.exit(how);
  };
  const deliver = (message: unknown) => events.message(message);
  worker.on("message", (message) => unbatch(message, deliver));
  worker.on(
    "error",
    (error: Error) => died(`threw outside a handler: ${error.message}`),
  );
  worker.on("messageerror", () => died("sent a broken message"));
  worker.on("exit", (code) => died(`exited with code ${code}`));
  return {
    send(message: unknown, transfer?: ArrayBuffer[]): void {
      if (alive) outbox.send(message, transfer);
    },
    pass: MOVES_SOCKETS_TO_THREADS
      ? (message: unknown, conn?: StreamConn<SocketAddress>) => {
        outbox.flush(); // what was sent before goes first
        if (conn === undefined) {
          if (alive) worker.postMessage(message);
          return Promise.resolve();
        }
        let socket: net.Socket | undefined;
        try {
          socket = handOver(conn);
        } catch (error) {
          return Promise.reject(error);
        }
        if (!alive) {
          socket?.destroy();
          return Promise.reject(new WorkerError("the worker is gone"));
        }
        if (!socket) {
          worker.postMessage(message);
          return Promise.resolve();
        }
        try {
          // The socket moves: the worker gets its handle, and this
          // thread's copy is destroyed as it goes.
          worker.postMessage(
            { ...(message as object), socket },
            [socket] as unknown as Parameters<Worker["postMessage"]>[1],
          );
        } catch (error) {
          socket.destroy();
          return Promise.reject(
            new WorkerError(`could not pass to the worker: ${error}`),
          );
        }
        return Promise.resolve();
      }
      : undefined,
    async terminate(): Promise<void> {
      alive = false;
      outbox.clear();
      await worker.terminate();
    },
  };
}

/**
 * Node's threads, children and signals.
 *
 * @example
 * ```ts
 * import { nodeHost } from "./host.ts";
 *
 * const off = nodeHost.onSignal("SIGTERM", () => console.log("stopping"));
 * off();
 * ```
 */
export const nodeHost: Host = {
  unsupported(feature: HostFeature): string | undefined {
    if (
      (feature === "threadHandover" || feature === "threadHandoverTls") &&
      !MOVES_SOCKETS_TO_THREADS
    ) {
      return "worker threads take sockets from Node 24.20 on";
    }
    return undefined;
  },
  startThread,
  spawnChild(stdin: string): ChildProcessHandle {
    const child = fileURLToPath(entry("_node/child"));
    const flags = childFlags(process.execArgv);
    return spawnWithIpc(process.execPath, [...flags, child], stdin);
  },
  onSignal: onProcessSignal,
};
