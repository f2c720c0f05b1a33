/**
 * `closeOnSignals`: Ctrl-C and `kill` stop a server gracefully instead of
 * ending the process mid-request.
 *
 * @module
 */

import { settlesBy } from "../_deferred.ts";
import { checkDuration } from "../options.ts";
import type { Driver } from "../driver.ts";
import type { ShutdownSignal } from "../host.ts";
import { RUNNING_REQUESTS } from "./base_server.ts";

/** A server {@linkcode closeOnSignals} can stop: any socket server. */
export interface SignalClosable {
  /** The driver, which knows the runtime's signal API. */
  readonly driver: Driver;
  /** Stops `serveForever()` loops. */
  shutdown(): Promise<void>;
  /** Closes the server, waiting for running handlers as configured. */
  serverClose(): Promise<void>;
  /** Ends a request: a handler still running past the grace period. */
  shutdownRequest?(request: unknown): void | Promise<void>;
  /** With `closeGrace`, the default grace after `SIGTERM`. */
  closeGrace?: number | null;
  /** `"SOCK_STREAM"`: its requests are connections. */
  readonly socketType?: string;
}

/** What {@linkcode CloseOnSignalsOptions.onStopping} is told. */
export interface StoppingNotice {
  /** The signal that came. */
  signal: ShutdownSignal;
  /** How many requests are running, which the server waits for. */
  running: number;
  /** How long it waits for them (ms), or `null` for as long as they run. */
  grace: number | null;
  /**
   * The notice as a line, e.g. `stopping; waiting up to 3 s for 1
   * connection; Ctrl-C again to stop now`.
   */
  message: string;
}

/** Options of {@linkcode closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** The signals to handle (default `["SIGINT", "SIGTERM"]`). */
  signals?: ShutdownSignal[];
  /**
   * How long (ms) running requests may go on after the signal before their
   * connections are closed; `null` waits as long as they run. By default
   * {@linkcode CTRL_C_GRACE} after Ctrl-C (someone waits at a terminal)
   * and the server's `closeGrace` after `SIGTERM` (a supervisor drains
   * it), or 30 s for a server without one.
   */
  grace?: number | null;
  /**
   * Called at the first signal with what the server now waits for; by
   * default the notice's `message` is printed to stderr.
   */
  onStopping?: (notice: StoppingNotice) => void;
  /**
   * Called once the server is closed, with the error if closing failed
   * (by default such an error is printed).
   */
  onClosed?: (error?: unknown) => void;
}

/**
 * How long running requests may go on after Ctrl-C, by default: 3 s.
 *
 * @example Printing the notice elsewhere
 * ```ts
 * import { closeOnSignals, CTRL_C_GRACE, TCPServer } from "../../mod.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {});
 * const remove = closeOnSignals(server, {
 *   grace: 2 * CTRL_C_GRACE,
 *   onStopping: (notice) => console.log(`[server] ${notice.message}`),
 * });
 * remove();
 * ```
 */
export const CTRL_C_GRACE = 3_000;

/** The grace after `SIGTERM` for a server without `closeGrace`. */
const TERM_GRACE = 30_000;

const SIGNALS: readonly ShutdownSignal[] = ["SIGINT", "SIGTERM"];

/**
 * On the first of `signals`, stops the server's `serveForever()` loops and
 * closes it: it takes no new request, says what it waits for (`stopping;
 * waiting up to 3 s for 1 connection; Ctrl-C again to stop now`), lets
 * running requests go on for the grace period, then closes the
 * connections of those still running. The listeners are removed at that
 * first signal, so a second Ctrl-C ends the process at once, as it would
 * without them.
 *
 * @example Serve until Ctrl-C or `kill`
 * ```ts
 * import { closeOnSignals, EventLoopTCPServer, StreamRequestHandler } from "../../mod.ts";
 *
 * class Echo extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 *
 * const server = new EventLoopTCPServer({ hostname: "127.0.0.1", port: 0 }, Echo);
 * const remove = closeOnSignals(server);
 * const serving = server.serveForever();
 * // ... until a signal; here the example stops by itself instead:
 * remove();
 * await server.shutdown();
 * await serving;
 * await server.serverClose();
 * ```
 *
 * @param server The server to stop.
 * @param options Which signals, how long to wait, what to say.
 * @returns A function that removes the signal listeners again.
 * @throws {TypeError} For a signal other than `"SIGINT"` or `"SIGTERM"`.
 * @throws {RangeError} For a `grace` that is not `null` or a finite
 * number of milliseconds >= 0.
 */
export function closeOnSignals(
  server: SignalClosable,
  options: CloseOnSignalsOptions = {},
): () => void {
  const { signals = [...SIGNALS], onClosed, onStopping } = options;
  if (
    !Array.isArray(signals) || signals.length === 0 ||
    !signals.every((signal) => SIGNALS.includes(signal))
  ) {
    throw new TypeError(
      `signals must be a non-empty list of "SIGINT" and "SIGTERM", got ${
        JSON.stringify(signals)
      }`,
    );
  }
  if (options.grace !== undefined) checkDuration(options.grace, "grace");
  let removers: (() => void)[] = [];
  const remove = () => {
    for (const removeOne of removers) removeOne();
    removers = [];
  };
  const close = async (signal: ShutdownSignal) => {
    remove();
    const grace = graceFor(server, signal, options.grace);
    const notice = stoppingNotice(server, signal, grace);
    if (onStopping) onStopping(notice);
    else console.error(notice.message);
    // No await between: a server that never served has no loop to stop,
    // and its shutdown() resolves once serverClose() runs.
    const stopped = server.shutdown();
    const closed = Promise.all([server.serverClose(), stopped]);
    if (grace !== null && !await settlesBy(closed, Date.now() + grace)) {
      // Past the grace: a handler blocked on its client ends now.
      await Promise.all(
        runningOf(server).map(async (request) => {
          try {
            await server.shutdownRequest?.(request);
          } catch {
            // the peer may be gone; nothing is left to release
          }
        }),
      );
    }
    await closed;
  };
  const onSignal = (signal: ShutdownSignal) => {
    close(signal).then(
      () => onClosed?.(),
      (error) => {
        if (onClosed) onClosed(error);
        else console.error("closeOnSignals: closing the server failed:", error);
      },
    );
  };
  removers = signals.map((signal) =>
    server.driver.onSignal(signal, () => onSignal(signal))
  );
  return remove;
}

/** The grace after `signal`: the option, else the default for it. */
function graceFor(
  server: SignalClosable,
  signal: ShutdownSignal,
  grace: number | null | undefined,
): number | null {
  if (grace !== undefined) return grace;
  if (signal === "SIGINT") return CTRL_C_GRACE;
  return server.closeGrace === undefined ? TERM_GRACE : server.closeGrace;
}

/** The requests `server` runs now (none known for other servers). */
function runningOf(server: SignalClosable): unknown[] {
  const running = (server as { [RUNNING_REQUESTS]?: () => unknown[] })[
    RUNNING_REQUESTS
  ];
  return typeof running === "function" ? running.call(server) : [];
}

/** What the server does now, as {@linkcode StoppingNotice} says. */
function stoppingNotice(
  server: SignalClosable,
  signal: ShutdownSignal,
  grace: number | null,
): StoppingNotice {
  const running = runningOf(server).length;
  let message = "stopping";
  if (running > 0) {
    const noun = server.socketType === "SOCK_STREAM" ? "connection" : "request";
    const what = `${running} ${noun}${running === 1 ? "" : "s"}`;
    const again = signal === "SIGINT" ? "Ctrl-C" : "SIGTERM";
    message += grace === null
      ? `; waiting for ${what}`
      : `; waiting up to ${seconds(grace)} s for ${what}`;
    message += `; ${again} again to stop now`;
  }
  return { signal, running, grace, message };
}

/** Milliseconds as seconds, to one decimal where it matters. */
function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
