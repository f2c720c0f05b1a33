/**
 * The memory driver: sockets on an in-memory network, for tests. Servers
 * run on it as on real sockets, with nothing bound on the machine; clients
 * connect with {@linkcode MemoryNetwork.connect}, or bind a datagram
 * endpoint of their own with the network's `bindUdp`. Connections have
 * backpressure (a 64 KiB buffer each way), half-close, linger on close and
 * reset on abort; `driver_contract_test.ts` holds it to the same contract
 * as the runtime drivers.
 *
 * It carries no TLS and no `reusePort`. Its worker threads run in this
 * thread ({@linkcode InProcessWorker}), so a pool's bookkeeping can be
 * tested without threads; it starts no child processes, so the forking
 * servers refuse it. Signals come only from {@linkcode MemoryHost.raise}.
 *
 * @example A TCPServer served in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { StreamRequestHandler, TCPServer } from "../../mod.ts";
 * import { memoryDriver } from "./index.ts";
 *
 * class Upper extends StreamRequestHandler {
 *   override async handle(): Promise<void> {
 *     const line = await this.rfile.readline();
 *     await this.wfile.write(new TextEncoder().encode(
 *       new TextDecoder().decode(line).toUpperCase(),
 *     ));
 *   }
 * }
 *
 * const { driver, network } = memoryDriver();
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, Upper, { driver });
 * await server.ready();
 * const serving = server.serveForever();
 * const client = await network.connect(server.serverAddress);
 * await client.write(new TextEncoder().encode("hello\n"));
 * assert.equal(new TextDecoder().decode((await client.read())!), "HELLO\n");
 * client.close();
 * await server.shutdown();
 * await serving;
 * ```
 *
 * @module
 */

import type { Driver } from "../../src/driver.ts";
import { NotSupportedError } from "../../src/errors.ts";
import type {
  ChildProcessHandle,
  Host,
  HostFeature,
  ShutdownSignal,
  WorkerEvents,
  WorkerLink,
} from "../../src/host.ts";
import { compose } from "../_shared/compose.ts";
import { MemoryNetwork } from "./network.ts";
import { InProcessWorker } from "./threads.ts";

export { MemoryNetwork } from "./network.ts";
export { InProcessWorker } from "./threads.ts";
export { PIPE_CAPACITY } from "./pipe.ts";

const NO_PROCESSES =
  "the memory driver starts no child processes; its threads run in this thread";

/**
 * A host whose worker threads run in this thread
 * ({@linkcode InProcessWorker}), with no child processes, and whose
 * signals a test raises.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryHost } from "./index.ts";
 *
 * const host = new MemoryHost();
 * let got = 0;
 * const off = host.onSignal("SIGTERM", () => got++);
 * host.raise("SIGTERM");
 * off();
 * host.raise("SIGTERM");
 * assert.equal(got, 1);
 * ```
 */
export class MemoryHost implements Host {
  #listeners = new Set<{ signal: ShutdownSignal; call: () => void }>();
  #threads: InProcessWorker[] = [];

  unsupported(feature: HostFeature): string | undefined {
    if (feature === "processes") return NO_PROCESSES;
    if (
      feature === "threadHandover" || feature === "threadHandoverTls" ||
      feature === "threadListeners"
    ) {
      return "the memory driver's threads get their connections relayed";
    }
    return undefined;
  }

  startThread(events: WorkerEvents): WorkerLink {
    const worker = new InProcessWorker(events);
    this.#threads = this.#threads.filter((thread) => thread.alive);
    this.#threads.push(worker);
    return worker.link();
  }

  spawnChild(): ChildProcessHandle {
    throw new NotSupportedError(NO_PROCESSES);
  }

  /** The threads still running, oldest first. */
  get threads(): readonly InProcessWorker[] {
    return this.#threads.filter((thread) => thread.alive);
  }

  onSignal(signal: ShutdownSignal, listener: () => void): () => void {
    const entry = { signal, call: listener };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }

  /** Delivers `signal` to its listeners, as the process receiving it. */
  raise(signal: ShutdownSignal): void {
    for (const entry of [...this.#listeners]) {
      if (entry.signal === signal) entry.call();
    }
  }
}

/** What {@linkcode memoryDriver} makes. */
export interface MemoryDriver {
  /** The driver, to pass as a server's `driver` option. */
  driver: Driver;
  /** Where clients connect. */
  network: MemoryNetwork;
  /** Where signals are raised. */
  host: MemoryHost;
}

/**
 * A driver on a new, empty in-memory network.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryDriver } from "./index.ts";
 *
 * const { driver } = memoryDriver();
 * assert.equal(driver.name, "memory");
 * assert.equal(driver.unsupported("threads"), undefined);
 * assert.match(driver.unsupported("processes") ?? "", /no child processes/);
 * ```
 *
 * @returns The driver, its network and its host.
 */
export function memoryDriver(): MemoryDriver {
  const network = new MemoryNetwork();
  const host = new MemoryHost();
  return {
    driver: compose({ name: "memory", sockets: network, host }),
    network,
    host,
  };
}
