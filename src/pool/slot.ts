/**
 * A pool's place for one worker, and the requests it serves: what
 * `worker_pool.ts` and `listening_workers.ts` share.
 *
 * @module
 */

import type { Deferred } from "../_deferred.ts";
import type { WorkerLink } from "../host.ts";
import type { SocketAddress } from "../transport.ts";
import type { ToWorker } from "./messages.ts";
import type { RelayedJob } from "./relay.ts";
import type { Holder } from "./shared_listener.ts";

/** One worker of the pool, replaced in place when it dies. */
export interface Slot {
  workerId: number;
  link: WorkerLink | undefined;
  pid: number | undefined;
  loaded: Deferred<void>;
  ready: boolean;
  /** Set when this slot's first worker could not start (start() fails). */
  failed: Error | undefined;
  /** Failed starts in a row since this slot last had a ready worker. */
  failures: number;
  /** The timer of the next try, while one waits. */
  retry: ReturnType<typeof setTimeout> | undefined;
  jobs: Map<number, Job>;
  /** While its worker opens its own listener on the server's port. */
  sharing?: Deferred<void>;
  /** Whether its worker listens on the server's port. */
  listening?: boolean;
  /** Until its worker closed its UDP socket and its own handlers returned. */
  draining?: Deferred<void>;
  /** How the server drops what its worker holds; made once per worker. */
  holder?: Holder;
  /** Until its UDP worker holds what comes instead of serving it. */
  pausing?: Deferred<void>;
  /** Sends to its worker, for the relay; made once per slot. */
  reply?: (message: ToWorker) => void;
}

/** A request a worker serves. */
export interface Job extends RelayedJob {
  slot: Slot;
  done: Deferred<void>;
  client: SocketAddress;
  /** Its handler failed: the worker waits for `closeRequest` to close it. */
  failed?: boolean;
  timer?: ReturnType<typeof setTimeout>;
}
