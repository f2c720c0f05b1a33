/**
 * Builds a `Driver` from one runtime's sockets and host, routing what
 * those sockets cannot do to other sockets. The public drivers
 * (`adapters/deno.ts`, `bun.ts`, `node.ts`) are each one call of
 * {@linkcode compose}, so every fallback from one runtime's sockets to
 * another's is written there, in one place, and no runtime's folder
 * imports another's.
 *
 * @module
 */

import type { Driver, DriverFeature } from "../../src/driver.ts";
import type { Host, HostFeature } from "../../src/host.ts";
import type {
  SocketFeature,
  Sockets,
  TcpListenOptions,
  UdpBindOptions,
  UnixListenOptions,
} from "../../src/transport.ts";

/** Which calls go to the fallback sockets: a predicate per call. */
export interface Routes {
  /** The sockets that serve the routed calls. */
  sockets: Sockets;
  /** Features the fallback sockets provide: asked of them, not the runtime's. */
  features?: readonly SocketFeature[];
  /** Whether this TCP listener is the fallback's. */
  listenTcp?(options: TcpListenOptions): boolean;
  /** Whether this Unix listener is the fallback's. */
  listenUnix?(options: UnixListenOptions): boolean;
  /** Whether this UDP socket is the fallback's. */
  bindUdp?(options: UdpBindOptions): boolean;
}

/** What {@linkcode compose} joins. */
export interface Composition {
  /** The driver's name. */
  name: string;
  /** The runtime's own sockets. */
  sockets: Sockets;
  /** Threads, children and signals. */
  host: Host;
  /** Calls the runtime's sockets leave to others. */
  fallback?: Routes;
}

const HOST_FEATURES: ReadonlySet<DriverFeature> = new Set<HostFeature>([
  "threads",
  "processes",
  "threadHandover",
  "threadHandoverTls",
  "threadListeners",
]);

/**
 * The driver that serves with `sockets`, except the calls `fallback`
 * routes, and runs threads, children and signals on `host`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compose } from "./compose.ts";
 * import { nodeHost } from "../node/host.ts";
 * import { nodeSockets } from "../node/index.ts";
 *
 * const sockets = nodeSockets({ reusePort: () => undefined });
 * const driver = compose({ name: "mine", sockets, host: nodeHost });
 * const listener = await driver.listenTcp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   backlog: 8,
 *   reusePort: false,
 * });
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * ```
 *
 * @param parts The sockets, the host and the routes.
 * @returns The driver.
 */
export function compose(parts: Composition): Driver {
  const { name, sockets, host, fallback } = parts;
  return {
    name,
    unsupported(feature: DriverFeature): string | undefined {
      return HOST_FEATURES.has(feature)
        ? host.unsupported(feature as HostFeature)
        : (fallback?.features?.includes(feature as SocketFeature)
          ? fallback.sockets
          : sockets).unsupported(feature as SocketFeature);
    },
    listenTcp: (options) =>
      (fallback?.listenTcp?.(options) ? fallback.sockets : sockets)
        .listenTcp(options),
    listenUnix: (options) =>
      (fallback?.listenUnix?.(options) ? fallback.sockets : sockets)
        .listenUnix(options),
    bindUdp: (options) =>
      (fallback?.bindUdp?.(options) ? fallback.sockets : sockets)
        .bindUdp(options),
    bindUnixDatagram: (options) => sockets.bindUnixDatagram(options),
    startThread: (events) => host.startThread(events),
    spawnChild: (stdin) => host.spawnChild(stdin),
    onSignal: (signal, listener) => host.onSignal(signal, listener),
  };
}
