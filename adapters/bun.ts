/**
 * The Bun driver: `Bun.listen` (TCP, Unix, TLS) and `Bun.udpSocket`. It is
 * the default on Bun. Bun has no Unix datagram sockets. Listeners whose
 * connections go to child processes are `node:net`'s, the only sockets a
 * process can pass.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
 * ```ts ignore
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./bun.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import type { Driver } from "../src/driver.ts";
import { bunDriver } from "./drivers.ts";

/** The Bun driver. */
export const driver: Driver = bunDriver;
