/**
 * `DatagramSocket`: the datagram server's socket as handlers see it.
 *
 * @module
 */

import { describeAddress } from "../address.ts";
import { SocketError, socketErrorAt } from "../errors.ts";
import { toBytes } from "./bytes.ts";
import type {
  DatagramEndpoint,
  NetAddress,
  SocketAddress,
} from "../transport.ts";

// deno-lint-ignore no-explicit-any
let endpointOf: (socket: DatagramSocket<any>) => DatagramEndpoint<any>;

/**
 * The adapter's socket under a request's `DatagramSocket`: which one a
 * worker replies through, for tests. Not part of the public API (`mod.ts`).
 *
 * @param socket The request's socket.
 * @returns Its endpoint.
 */
export function datagramEndpointOf<A extends SocketAddress>(
  socket: DatagramSocket<A>,
): DatagramEndpoint<A> {
  return endpointOf(socket);
}

/**
 * The socket a datagram arrived on, shared by every request of the server:
 * the second item of a datagram server's `request`, as in Python. Handlers
 * send with it; only the server receives.
 *
 * @typeParam A `{ hostname, port }` for UDP, `{ path }` for Unix.
 *
 * @example A handler that answers twice
 * ```ts
 * import { BaseRequestHandler, type DatagramRequest } from "../../mod.ts";
 *
 * class TwoReplies extends BaseRequestHandler<DatagramRequest> {
 *   override async handle() {
 *     const [packet, socket] = this.request;
 *     await socket.sendto(packet, this.clientAddress);
 *     await socket.sendto("done", this.clientAddress);
 *   }
 * }
 * ```
 */
export class DatagramSocket<A extends SocketAddress = NetAddress> {
  static {
    endpointOf = (socket) => socket.#endpoint;
  }
  #endpoint: DatagramEndpoint<A>;

  /**
   * Wraps an adapter's datagram socket; servers do this once per socket.
   *
   * @param endpoint The adapter's socket.
   */
  constructor(endpoint: DatagramEndpoint<A>) {
    this.#endpoint = endpoint;
  }

  /** The server's bound address. */
  get localAddress(): A {
    return this.#endpoint.address;
  }

  /**
   * Sends one datagram to `address` (Python's `sendto`).
   *
   * @param data The payload; strings go out as UTF-8.
   * @param address Where to send it, usually the handler's `clientAddress`.
   * @returns The number of bytes sent.
   * @throws {SocketError} `EMSGSIZE` for a datagram too large to send;
   * `EDESTADDRREQ` for a Unix sender that bound no path, which cannot be
   * answered (Python fails there too).
   */
  sendto(data: Uint8Array | string, address: A): Promise<number> {
    // Not async: one reaction per reply instead of a suspended frame.
    let bytes: Uint8Array;
    try {
      bytes = toBytes(data);
    } catch (error) {
      return Promise.reject(error);
    }
    if ("path" in address && address.path === "") {
      return Promise.reject(
        new SocketError(
          "EDESTADDRREQ",
          "sendto an unnamed Unix socket: the sender bound no path, so no reply can reach it (EDESTADDRREQ)",
        ),
      );
    }
    const failed = (error: unknown): never => {
      throw socketErrorAt(error, "sendto", describeAddress(address));
    };
    try {
      return this.#endpoint.send(bytes, address).then(
        () => bytes.length,
        failed,
      );
    } catch (error) {
      return Promise.reject(failed(error));
    }
  }
}
