/**
 * Node's sockets (`node:net`, `node:tls`, `node:dgram`) and host.
 * `adapters/node.ts` composes them into the node driver. The sockets run on
 * Deno's and Bun's Node compatibility too, which is how the Deno and Bun
 * drivers serve what their own sockets cannot; the host runs on Node only.
 * Node has no Unix datagram sockets.
 *
 * @module
 */

import process from "node:process";
import { NotSupportedError } from "../../src/errors.ts";
import type {
  DatagramEndpoint,
  NetAddress,
  SocketFeature,
  Sockets,
  UdpBindOptions,
  UnixAddress,
} from "../../src/transport.ts";
import { bindUdp } from "./datagram.ts";
import { listenTcp, listenUnix } from "./stream.ts";
import { nodeAtLeast } from "./version.ts";

export { nodeHost } from "./host.ts";

/** What differs between the runtimes these sockets run on. */
export interface NodeQuirks {
  /**
   * Why `reusePort` cannot be honoured for a TCP listener or, with `udp`,
   * a UDP socket here, or `undefined` if it can.
   */
  reusePort(udp: boolean): string | undefined;
}

/**
 * Node's own answer for {@linkcode NodeQuirks.reusePort}: it ignores the
 * option silently before 22.12, so it is refused there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeReusePort } from "./index.ts";
 *
 * assert.equal(typeof (nodeReusePort() ?? ""), "string");
 * ```
 *
 * @returns Why not, or `undefined`.
 */
export function nodeReusePort(): string | undefined {
  return nodeAtLeast(22, 12)
    ? undefined
    : `allowReusePort needs Node 22.12 or later (this is Node ${process.versions.node}); Node ignores it silently before that`;
}

const NO_UNIX_DATAGRAM =
  "Node's sockets (node:net, node:dgram) have no Unix datagram sockets. Use UnixStreamServer, or UDPServer on 127.0.0.1; on Deno, the native driver offers them with --unstable-net";

/**
 * Node's sockets, with the quirks of the runtime they run on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeSockets } from "./index.ts";
 *
 * const sockets = nodeSockets({ reusePort: () => undefined });
 * const udp = await sockets.bindUdp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   reusePort: false,
 * });
 * assert.ok(udp.address.port > 0);
 * await udp.close();
 * ```
 *
 * @param quirks What this runtime's `node:*` modules cannot do.
 * @returns The sockets.
 */
export function nodeSockets(quirks: NodeQuirks): Sockets {
  const refused = (udp: boolean) => {
    const why = quirks.reusePort(udp);
    return why === undefined
      ? undefined
      : Promise.reject(new NotSupportedError(why));
  };
  return {
    unsupported(feature: SocketFeature): string | undefined {
      if (feature === "reusePort") return quirks.reusePort(false);
      if (feature === "udpReusePort") return quirks.reusePort(true);
      return feature === "unixDatagram" ? NO_UNIX_DATAGRAM : undefined;
    },
    listenTcp(options) {
      return (options.reusePort && refused(false)) || listenTcp(options);
    },
    listenUnix,
    bindUdp(options: UdpBindOptions): Promise<DatagramEndpoint<NetAddress>> {
      return (options.reusePort && refused(true)) || bindUdp(options);
    },
    bindUnixDatagram(): Promise<DatagramEndpoint<UnixAddress>> {
      return Promise.reject(new NotSupportedError(NO_UNIX_DATAGRAM));
    },
  };
}
