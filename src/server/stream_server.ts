/**
 * `StreamServer`: the request methods shared by `TCPServer` and
 * `UnixStreamServer`, and their `tls` option.
 *
 * @module
 */

import { StreamSocket } from "../io/stream_socket.ts";
import type {
  SocketAddress,
  StreamListener,
  TlsOptions,
} from "../transport.ts";
import { SocketServer } from "./socket_server.ts";

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/**
 * Checks the `tls` option: `{ cert, key }`, both PEM text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTlsOptions } from "./stream_server.ts";
 *
 * assert.equal(checkTlsOptions(undefined), undefined);
 * assert.throws(() => checkTlsOptions({ cert: "cert.pem", key: "key.pem" }), TypeError);
 * ```
 *
 * @param tls What the caller passed.
 * @returns A clean copy, or `undefined` for plain TCP.
 * @throws {TypeError} When `cert` or `key` is not PEM text.
 */
export function checkTlsOptions(tls: unknown): TlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== "object" || tls === null) {
    throw new TypeError("tls must be an object { cert, key }");
  }
  const { cert, key } = tls as Record<string, unknown>;
  for (const [name, value] of [["cert", cert], ["key", key]] as const) {
    if (typeof value !== "string" || !PEM.test(value)) {
      throw new TypeError(
        `tls.${name} must be PEM text ("-----BEGIN ..."), not a file name: read the file first`,
      );
    }
  }
  return { cert: cert as string, key: key as string };
}

/**
 * A server of connected streams: each connection is one request, a
 * {@linkcode StreamSocket}, closed by the server once its handler is done.
 *
 * @typeParam Addr The address type of the server and its clients.
 */
export abstract class StreamServer<Addr extends SocketAddress>
  extends SocketServer<StreamSocket, Addr, StreamListener<Addr>> {
  /** Accepts the next connection. */
  override async getRequest(): Promise<[StreamSocket, Addr]> {
    const conn = await this.boundSocket.accept();
    return [new StreamSocket(conn), conn.remoteAddress];
  }

  /**
   * Shuts the write side (errors ignored: the peer may be gone), then
   * `closeRequest()`.
   *
   * @param request The connection.
   */
  override async shutdownRequest(request: StreamSocket): Promise<void> {
    try {
      await request.shutdown();
    } catch {
      // Python ignores OSError here: "some platforms may raise ENOTCONN"
    }
    await this.closeRequest(request);
  }

  /**
   * Closes the connection.
   *
   * @param request The connection.
   */
  override closeRequest(request: StreamSocket): void {
    request.close();
  }
}
