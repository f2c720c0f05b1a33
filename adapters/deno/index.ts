/**
 * Deno's own sockets (`Deno.listen`, `Deno.listenDatagram`) and host.
 * `adapters/deno.ts` composes them into the Deno driver, with `node:tls`
 * and `node:net` for what these sockets cannot do.
 *
 * @module
 */

import { NotSupportedError } from "../../src/errors.ts";
import type {
  DatagramEndpoint,
  NetAddress,
  SocketFeature,
  Sockets,
  StreamListener,
  TcpListenOptions,
  UdpBindOptions,
  UnixAddress,
  UnixDatagramBindOptions,
  UnixListenOptions,
} from "../../src/transport.ts";
import { bindUnixPath } from "../_node/unix_path.ts";
import { bindNow } from "../_shared/bind_now.ts";
import { deno, hasUnstableNet } from "./api.ts";
import { DenoDatagramEndpoint } from "./datagram.ts";
import { DenoStreamListener, netAddress, unixAddress } from "./stream.ts";

export { hasUnstableNet } from "./api.ts";
export { denoHost } from "./host.ts";

/** Deno says what failed, but gives no code for a host that does not resolve. */
const bindCode = (error: unknown) =>
  /lookup address/.test(String(error)) ? "ENOTFOUND" : "EINVAL";

const NO_UNSTABLE_NET =
  'Deno\'s Unix datagram sockets need --unstable-net (or "unstable": ["net"] in deno.json); without it use UnixStreamServer, or UDPServer on 127.0.0.1';

/** Deno exits with code 70 if `reusePort` is used without the flag. */
const NO_REUSE_PORT =
  "allowReusePort on Deno needs --unstable-net (or the node:net driver from adapters/node.ts)";

/** Neither Deno's UDP sockets nor its `node:dgram` set `SO_REUSEPORT`. */
const NO_UDP_REUSE_PORT =
  "Deno's UDP sockets have no SO_REUSEPORT (use Bun or Node)";

/** What these sockets leave to `node:net` and `node:tls`, refused. */
function refusal(
  options: TcpListenOptions | UnixListenOptions,
): NotSupportedError | undefined {
  if (options.tls) {
    // A Deno.listenTls connection whose handshake never finishes cannot be
    // closed: closing the TlsConn leaves its TCP socket open.
    return new NotSupportedError(
      "Deno's own TLS listeners cannot drop a stalled handshake; serve TLS with node:tls",
    );
  }
  if (options.passable) {
    return new NotSupportedError(
      "Deno's own sockets cannot be passed to another process; use node:net",
    );
  }
}

/**
 * Deno's sockets. TCP, Unix stream sockets, and with `--unstable-net` UDP,
 * Unix datagram sockets and `reusePort`; no TLS and no passable listeners.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoSockets } from "./index.ts";
 *
 * const listener = await denoSockets.listenTcp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   backlog: 8,
 *   reusePort: false,
 * });
 * assert.ok(listener.address.port > 0);
 * await listener.close();
 * ```
 */
export const denoSockets: Sockets = {
  unsupported(feature: SocketFeature): string | undefined {
    if (feature === "udpReusePort") return NO_UDP_REUSE_PORT;
    if (!hasUnstableNet()) {
      if (feature === "unixDatagram") return NO_UNSTABLE_NET;
      if (feature === "reusePort") return NO_REUSE_PORT;
    }
    return undefined;
  },
  listenTcp(options: TcpListenOptions): Promise<StreamListener<NetAddress>> {
    return bindNow(() => {
      const refused = refusal(options);
      if (refused) throw refused;
      if (options.reusePort && !hasUnstableNet()) {
        // Deno exits with code 70 if reusePort is used without the flag.
        throw new NotSupportedError(NO_REUSE_PORT);
      }
      const listener = deno().listen({
        hostname: options.hostname,
        port: options.port,
        transport: "tcp",
        tcpBacklog: options.backlog,
        ...(options.reusePort ? { reusePort: true } : {}),
      });
      return new DenoStreamListener(listener, netAddress);
    }, bindCode);
  },
  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>> {
    const refused = refusal(options);
    if (refused) return Promise.reject(refused);
    return bindUnixPath(
      options.path,
      () =>
        bindNow(() =>
          new DenoStreamListener(
            deno().listen({ transport: "unix", path: options.path }),
            unixAddress,
          ), bindCode),
      options.mode,
    );
  },
  bindUdp(options: UdpBindOptions): Promise<DatagramEndpoint<NetAddress>> {
    return bindNow(() => {
      if (options.reusePort) {
        throw new NotSupportedError(`allowReusePort: ${NO_UDP_REUSE_PORT}`);
      }
      const api = deno();
      if (!api.listenDatagram) {
        throw new NotSupportedError(
          "Deno's UDP sockets need --unstable-net; use node:dgram",
        );
      }
      return new DenoDatagramEndpoint(
        api.listenDatagram({
          transport: "udp",
          hostname: options.hostname,
          port: options.port,
        }),
        netAddress,
        (to) => ({ transport: "udp", hostname: to.hostname, port: to.port }),
      );
    }, bindCode);
  },
  bindUnixDatagram(
    options: UnixDatagramBindOptions,
  ): Promise<DatagramEndpoint<UnixAddress>> {
    const api = deno();
    if (!api.listenDatagram) {
      return Promise.reject(new NotSupportedError(NO_UNSTABLE_NET));
    }
    const listenDatagram = api.listenDatagram.bind(api);
    return bindUnixPath(
      options.path,
      () =>
        bindNow(() =>
          new DenoDatagramEndpoint(
            listenDatagram({ transport: "unixpacket", path: options.path }),
            unixAddress,
            (to) => ({ transport: "unixpacket", path: to.path }),
          ), bindCode),
      options.mode,
    );
  },
};
