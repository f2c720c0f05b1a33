/**
 * The node driver: `node:net`, `node:tls` and `node:dgram`. It is the
 * default on Node, and works on Deno and Bun too through their Node
 * compatibility (pass it as the `driver` option); there its threads,
 * children and signals are the running runtime's. Node has no Unix
 * datagram sockets.
 *
 * @example Forcing `node:net` on any runtime
 * ```ts
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./node.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import type { Driver } from "../src/driver.ts";
import { nodeDriver } from "./drivers.ts";

/** The node driver. */
export const driver: Driver = nodeDriver;
