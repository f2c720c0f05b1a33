/**
 * Starting one worker of a pool: a thread or a child process, the settings
 * it needs before any request, and its link to the pool.
 *
 * @module
 */

import type { Driver } from "../driver.ts";
import type { WorkerEvents, WorkerLink } from "../host.ts";
import type { HandoffSettings } from "../server/stream_server.ts";
import type { NetAddress } from "../transport.ts";
import type { ServerInfo, ToChild, ToWorker } from "./messages.ts";
import { startProcessLink } from "./process_link.ts";

/** What a pool needs to know. */
export interface PoolSettings {
  /** Threads or child processes. */
  kind: "thread" | "process";
  /** How many workers. */
  size: number;
  /** The handler's module URL and export name. */
  module: string;
  exportName: string;
  /** What handlers see of the server. */
  server: ServerInfo;
  /** Milliseconds a request may run in a worker; `null`: no limit. */
  handlerTimeout: number | null;
  /** The server's `shutdown()`, for handlers that call it. */
  shutdown: () => Promise<void>;
  /** Reports a worker that could not be started again (no request failed). */
  report: (error: Error) => void;
  /**
   * Reports a handler that a UDP worker ran on its own (`listenInThreads`,
   * `listenInChildren`) and that failed: the datagram, its sender, the error.
   */
  packetFailed?: (data: Uint8Array, from: NetAddress, error: Error) => void;
  driver: Driver;
  /**
   * Set when the workers take the server's connections over (their
   * descriptors: a child's IPC channel, or a socket moved to a thread)
   * instead of having their bytes relayed: what they apply to them.
   */
  handoff?: HandoffSettings;
  /**
   * Whether the server's own connections are taken over rather than
   * relayed: a TLS one accepted by a listener that ran its handshake (as
   * Bun's does) cannot move, even where plain ones can.
   */
  passes?: boolean;
}

/**
 * Starts worker `workerId`: its link goes to `started`, which says whether
 * the pool still wants it (else it is stopped), or its failure to
 * `failed`. Then the worker gets its settings: how to treat connections
 * it takes over, if it does, and the handler to load.
 *
 * @param settings The pool's settings.
 * @param workerId The worker's number, for messages.
 * @param events Where the worker's messages and its end go.
 * @param started Takes the link; `false` stops the worker.
 * @param failed Gets why a child process could not start.
 */
export function launchWorker(
  settings: PoolSettings,
  workerId: number,
  events: WorkerEvents,
  started: (link: WorkerLink & { pid?: number }) => boolean,
  failed: (error: Error) => void,
): void {
  const init: ToWorker = {
    t: "init",
    module: settings.module,
    exportName: settings.exportName,
    server: settings.server,
    workerId,
  };
  const begin = (link: WorkerLink) => {
    sendHandoff(settings, link);
    link.send(init);
  };
  if (settings.kind === "thread") {
    const link = settings.driver.startThread(events);
    if (started(link)) begin(link);
    else void link.terminate();
    return;
  }
  startProcessLink(settings.driver, events).then((link) => {
    if (started(link)) begin(link);
    else void link.terminate();
  }, failed);
}

/**
 * Tells a worker that takes connections over what to apply to them:
 * before any connection, on the channel they come by, which keeps order.
 */
function sendHandoff(settings: PoolSettings, link: WorkerLink): void {
  const handoff = settings.handoff;
  if (!handoff) return;
  const streams: ToChild = { t: "streams", settings: handoff };
  link.pass?.(streams).catch(() => {});
}
