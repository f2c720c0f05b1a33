/**
 * `closeOnSignals`: Ctrl-C and `kill` stop a server gracefully instead of
 * ending the process mid-request.
 *
 * @module
 */

import type { Driver, ShutdownSignal } from "../transport.ts";

/** A server {@linkcode closeOnSignals} can stop: any socket server. */
export interface SignalClosable {
  /** The driver, which knows the runtime's signal API. */
  readonly driver: Driver;
  /** Stops `serveForever()` loops. */
  shutdown(): Promise<void>;
  /** Closes the server, waiting for running handlers as configured. */
  serverClose(): Promise<void>;
}

/** Options of {@linkcode closeOnSignals}. */
export interface CloseOnSignalsOptions {
  /** The signals to handle (default `["SIGINT", "SIGTERM"]`). */
  signals?: ShutdownSignal[];
  /**
   * Called once the server is closed, with the error if closing failed
   * (by default such an error is printed).
   */
  onClosed?: (error?: unknown) => void;
}

const SIGNALS: readonly ShutdownSignal[] = ["SIGINT", "SIGTERM"];

/**
 * On the first of `signals`, stops the server's `serveForever()` loops and
 * closes it: it takes no new request, and running handlers finish as
 * `serverClose()` lets them (the event-loop and worker servers wait up to
 * `closeGrace`). The listeners are removed at that first signal, so a
 * second Ctrl-C ends the process at once, as it would without them.
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
 * @param options Which signals, and what to do once closed.
 * @returns A function that removes the signal listeners again.
 * @throws {TypeError} For a signal other than `"SIGINT"` or `"SIGTERM"`.
 */
export function closeOnSignals(
  server: SignalClosable,
  options: CloseOnSignalsOptions = {},
): () => void {
  const { signals = [...SIGNALS], onClosed } = options;
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
  let removers: (() => void)[] = [];
  const remove = () => {
    for (const removeOne of removers) removeOne();
    removers = [];
  };
  const close = async () => {
    remove();
    // No await between: a server that never served has no loop to stop,
    // and its shutdown() resolves once serverClose() runs.
    const stopped = server.shutdown();
    await server.serverClose();
    await stopped;
  };
  const onSignal = () => {
    close().then(
      () => onClosed?.(),
      (error) => {
        if (onClosed) onClosed(error);
        else console.error("closeOnSignals: closing the server failed:", error);
      },
    );
  };
  removers = signals.map((signal) => server.driver.onSignal(signal, onSignal));
  return remove;
}
