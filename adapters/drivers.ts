/**
 * The one place where each public driver is put together from a runtime's
 * sockets and host ({@linkcode compose}), and where one runtime's sockets
 * fall back to another's. No runtime's folder imports another's.
 *
 * @module
 */

import type { Driver } from "../src/driver.ts";
import type { Sockets } from "../src/transport.ts";
import { compose } from "./_shared/compose.ts";
import { bunHost, bunSockets } from "./bun/index.ts";
import { denoHost, denoSockets, hasUnstableNet } from "./deno/index.ts";
import { nodeHost, nodeReusePort, nodeSockets } from "./node/index.ts";
import { runningOn } from "./runtime.ts";

/**
 * Node's sockets as they run on Deno, whose `node:dgram` takes `reusePort`
 * and then fails with `EADDRINUSE`.
 */
const denoNodeSockets: Sockets = nodeSockets({
  reusePort: (udp) =>
    udp
      ? "Deno's UDP sockets have no SO_REUSEPORT (use Bun or Node)"
      : undefined,
});

/** Node's sockets as they run on Bun: all of their options work. */
const bunNodeSockets: Sockets = nodeSockets({ reusePort: () => undefined });

/**
 * Deno's sockets and host. `node:tls` serves TLS: a `Deno.listenTls`
 * connection whose handshake never finishes cannot be closed. `node:net`
 * serves passable listeners, the only sockets a process can pass; and
 * `node:dgram` serves UDP without `--unstable-net`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoDriver } from "./drivers.ts";
 *
 * assert.equal(denoDriver.name, "deno");
 * ```
 */
export const denoDriver: Driver = compose({
  name: "deno",
  sockets: denoSockets,
  host: denoHost,
  fallback: {
    sockets: denoNodeSockets,
    listenTcp: (options) => options.tls !== undefined || !!options.passable,
    listenUnix: (options) => options.tls !== undefined || !!options.passable,
    bindUdp: (options) => !options.reusePort && !hasUnstableNet(),
  },
});

/**
 * Bun's sockets and host; `node:net` serves passable listeners, and
 * `node:dgram` UDP sockets that share a port.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bunDriver } from "./drivers.ts";
 *
 * assert.equal(bunDriver.name, "bun");
 * ```
 */
export const bunDriver: Driver = compose({
  name: "bun",
  sockets: bunSockets,
  host: bunHost,
  fallback: {
    sockets: bunNodeSockets,
    listenTcp: (options) => !!options.passable,
    listenUnix: (options) => !!options.passable,
    // Bun.udpSocket has no SO_REUSEPORT; Bun's node:dgram has.
    bindUdp: (options) => options.reusePort,
    features: ["udpReusePort"],
  },
});

/**
 * Node's sockets with the quirks of the runtime they run on, and that
 * runtime's host: Node's only runs on Node.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeDriver } from "./drivers.ts";
 *
 * assert.equal(nodeDriver.name, "node");
 * ```
 */
export const nodeDriver: Driver = {
  deno: () =>
    compose({ name: "node", sockets: denoNodeSockets, host: denoHost }),
  bun: () => compose({ name: "node", sockets: bunNodeSockets, host: bunHost }),
  node: () =>
    compose({
      name: "node",
      sockets: nodeSockets({ reusePort: nodeReusePort }),
      host: nodeHost,
    }),
}[runningOn()]();
