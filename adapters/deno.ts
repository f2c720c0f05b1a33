/**
 * The Deno driver: `Deno.listen` and `Deno.listenDatagram`. It is the
 * default on Deno.
 *
 * Permissions: `--allow-net`, plus `--allow-read --allow-write` for Unix
 * sockets. UDP, Unix datagram sockets and `allowReusePort` need
 * `--unstable-net` (or `"unstable": ["net"]` in deno.json). Without it UDP
 * goes through `node:dgram`, Unix datagram servers are refused with a
 * `NotSupportedError`, and so is `allowReusePort` (instead of letting Deno
 * end the process). TLS goes through `node:tls`: a `Deno.listenTls`
 * connection whose handshake never finishes cannot be closed (its TCP
 * socket stays open), and it has no Unix transport. Listeners whose
 * connections go to child processes are `node:net`'s, the only sockets a
 * process can pass.
 *
 * @example
 * ```ts
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./deno.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import type { Driver } from "../src/driver.ts";
import { denoDriver } from "./drivers.ts";

/** The Deno driver. */
export const driver: Driver = denoDriver;
