/**
 * The host half of the seam between the core and a runtime: worker
 * threads, child processes and signals ({@linkcode Host}). Sockets are the
 * other half (`transport.ts`); the two meet only where a connection moves
 * to a worker ({@linkcode WorkerLink.pass}, {@linkcode ChildProcessHandle.pass}).
 *
 * @module
 */

import type { SocketAddress, StreamConn } from "./transport.ts";

/**
 * A feature some hosts lack: `threads` and `processes`, worker threads and
 * child processes; `threadHandover`, a TCP connection from a `passable`
 * listener moving to a worker thread ({@linkcode WorkerLink.pass}), which
 * serves it itself; `threadHandoverTls`, the same for a TLS connection,
 * whose handshake the thread then runs; `threadListeners`, a worker thread opening a TCP
 * listener of its own with the driver's sockets (`ParentPort.listenTcp`).
 */
export type HostFeature =
  | "threads"
  | "processes"
  | "threadHandover"
  | "threadHandoverTls"
  | "threadListeners";

/** What a runtime offers besides sockets: threads, children, signals. */
export interface Host {
  /** Why this host cannot offer `feature`, or `undefined` if it can. */
  unsupported(feature: HostFeature): string | undefined;
  /**
   * Starts a worker thread running the library's worker entry (Deno's and
   * Bun's `Worker`, Node's `worker_threads`). Errors inside it, and its end,
   * reach `events.exit`.
   */
  startThread(events: WorkerEvents): WorkerLink;
  /**
   * Starts a child process of this runtime running the library's child
   * entry, its stdout and stderr shared with this process. `stdin` is
   * written to the child's standard input, which is then closed: what the
   * child must keep private goes there, never on its command line, which
   * every local user can read (`/proc/PID/cmdline`).
   */
  spawnChild(stdin: string): ChildProcessHandle;
  /**
   * Calls `listener` when the process receives `signal`, instead of the
   * default action (ending the process). Returns what removes it.
   */
  onSignal(signal: ShutdownSignal, listener: () => void): () => void;
}

/** The signals {@linkcode Host.onSignal} handles: Ctrl-C and `kill`. */
export type ShutdownSignal = "SIGINT" | "SIGTERM";

/** What a worker thread reports to the server. */
export interface WorkerEvents {
  /** A message the worker sent. */
  message(message: unknown): void;
  /** The worker died or threw outside a handler; `reason` says how. */
  exit(reason: string): void;
}

/** The server's end of a worker thread. */
export interface WorkerLink {
  /**
   * Sends a message. The bytes of a `data` message are copied before this
   * returns, so the caller may reuse them; `transfer` lists other buffers
   * the worker takes over (they are detached here).
   */
  send(message: unknown, transfer?: ArrayBuffer[]): void;
  /**
   * Sends `message` with `conn` itself, which moves to the worker and is
   * served there, as {@linkcode ChildProcessHandle.pass} does for a child;
   * without `conn`, in order with the connections. Absent where the driver
   * cannot move a socket to a thread (`unsupported("threadHandover")`):
   * connections are then relayed through {@linkcode send}.
   */
  pass?(message: unknown, conn?: StreamConn<SocketAddress>): Promise<void>;
  /** Stops the worker; resolves once it is gone. */
  terminate(): Promise<void>;
}

/** How a child process ended, as {@linkcode ChildProcessHandle.exited} reports. */
export interface ChildExit {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it (`"SIGKILL"`), or `null`. */
  signal: string | null;
  /** Why it could not be started, if it could not. */
  error?: string;
}

/** A child process started by {@linkcode Host.spawnChild}. */
export interface ChildProcessHandle {
  /** Its process id. */
  readonly pid: number;
  /**
   * Resolves when it has exited: its exit code, or the signal that ended
   * it; `error` if it could not be started at all.
   */
  readonly exited: Promise<ChildExit>;
  /** Kills it (SIGKILL); `exited` resolves once it is gone. */
  kill(): void;
  /**
   * Sends `message` over the child's IPC channel, with `conn` itself (its
   * descriptor) when given, which the child then serves on its own; this
   * process closes its copy once sent. The child's entry receives both.
   * Rejects when `conn` did not come from a `passable` listener or the
   * child is gone.
   */
  pass(message: unknown, conn?: StreamConn<SocketAddress>): Promise<void>;
}
