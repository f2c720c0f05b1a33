/**
 * Bun's own sockets (`Bun.listen`, `Bun.udpSocket`) and host.
 * `adapters/bun.ts` composes them into the Bun driver, with `node:net` for
 * listeners whose connections go to child processes. Bun has no Unix
 * datagram sockets.
 *
 * @module
 */

import { NotSupportedError } from "../../src/errors.ts";
import type {
  DatagramEndpoint,
  SocketFeature,
  Sockets,
  UnixAddress,
} from "../../src/transport.ts";
import { bindUdp, NO_UDP_REUSE_PORT } from "./datagram.ts";
import { listenTcp, listenUnix } from "./stream.ts";

export { bunHost } from "./host.ts";

const NO_UNIX_DATAGRAM =
  "Bun has no Unix datagram sockets (Bun.udpSocket is UDP only). Use UnixStreamServer, or UDPServer on 127.0.0.1; on Deno, the native driver offers them with --unstable-net";

/**
 * Bun's sockets: TCP, Unix stream sockets and TLS on both, and UDP; no
 * passable listeners.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { bunSockets } from "./index.ts";
 *
 * const listener = await bunSockets.listenTcp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   backlog: 8,
 *   reusePort: false,
 * });
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * ```
 */
export const bunSockets: Sockets = {
  unsupported(feature: SocketFeature): string | undefined {
    if (feature === "udpReusePort") return NO_UDP_REUSE_PORT;
    return feature === "unixDatagram" ? NO_UNIX_DATAGRAM : undefined;
  },
  listenTcp,
  listenUnix,
  bindUdp,
  bindUnixDatagram(): Promise<DatagramEndpoint<UnixAddress>> {
    return Promise.reject(new NotSupportedError(NO_UNIX_DATAGRAM));
  },
};
