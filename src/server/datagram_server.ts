/**
 * `DatagramServer`: the request methods shared by `UDPServer` and
 * `UnixDatagramServer`.
 *
 * @module
 */

import type { DatagramRequest } from "../handler/datagram_handler.ts";
import { DatagramSocket } from "../io/datagram_socket.ts";
import type {
  Datagram,
  DatagramEndpoint,
  NetAddress,
  SocketAddress,
} from "../transport.ts";
import { SocketServer } from "./socket_server.ts";

/**
 * Marks a UDP server whose workers each bind its port themselves
 * (`SO_REUSEPORT`): a method returning what turns the server's own socket
 * into the one its loop receives from, or `undefined` where its workers do
 * not bind it.
 */
export const SHARES_DATAGRAM_PORT: unique symbol = Symbol(
  "shares datagram port",
);

/**
 * Turns a server's own UDP socket into the one its loop receives from;
 * `rebind` binds the server's own socket again, with the same options.
 */
export type DatagramPortSharing = (
  own: DatagramEndpoint<NetAddress>,
  rebind: () => Promise<DatagramEndpoint<NetAddress>>,
) => DatagramEndpoint<NetAddress>;

/** How `server`'s workers share its UDP port, if they do. */
export function datagramPortSharing(
  server: object,
): DatagramPortSharing | undefined {
  const { [SHARES_DATAGRAM_PORT]: shares } = server as {
    [SHARES_DATAGRAM_PORT]?: () => DatagramPortSharing | undefined;
  };
  return typeof shares === "function" ? shares.call(server) : undefined;
}

/** The largest `maxPacketSize` accepted: 1 MiB, past any real datagram. */
export const MAX_PACKET_SIZE_LIMIT = 1 << 20;

/**
 * Checks a `maxPacketSize`.
 *
 * @throws {RangeError} Unless it is an integer from 1 to 1 MiB.
 */
export function checkPacketSize(size: unknown): number {
  if (
    typeof size !== "number" || !Number.isInteger(size) || size < 1 ||
    size > MAX_PACKET_SIZE_LIMIT
  ) {
    throw new RangeError(
      `maxPacketSize must be an integer from 1 to ${MAX_PACKET_SIZE_LIMIT}, got ${size}`,
    );
  }
  return size;
}

/**
 * A server of datagrams: each datagram is one request,
 * `[packet, socket]`, and the socket is shared, so nothing is closed after
 * a request (Python's `shutdown_request` does nothing here either).
 *
 * @typeParam Addr The address type of the server and its clients.
 */
export abstract class DatagramServer<Addr extends SocketAddress>
  extends SocketServer<DatagramRequest<Addr>, Addr, DatagramEndpoint<Addr>> {
  /** `"SOCK_DGRAM"` (Python's attribute): each request is a datagram. */
  get socketType(): "SOCK_DGRAM" {
    return "SOCK_DGRAM";
  }

  /**
   * The longest datagram a request holds, in bytes (Python's
   * `max_packet_size`, 8192). A longer one is cut to this size, as
   * `recvfrom` cuts it; raise it for bigger payloads (up to 65507 over IPv4
   * UDP, 65527 over IPv6).
   */
  maxPacketSize = 8192;

  #endpoint: DatagramEndpoint<Addr> | undefined;
  #socket!: DatagramSocket<Addr>;

  /** Receives the next datagram. */
  override getRequest(): Promise<[DatagramRequest<Addr>, Addr]> {
    const size = this.maxPacketSize;
    try {
      checkPacketSize(size);
    } catch (error) {
      return Promise.reject(error);
    }
    let endpoint: DatagramEndpoint<Addr>;
    try {
      endpoint = this.boundSocket;
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#endpoint !== endpoint) {
      this.#endpoint = endpoint;
      this.#socket = new DatagramSocket(endpoint);
    }
    // Not async: one reaction per datagram instead of a suspended frame.
    return endpoint.receive(size).then(this.#request);
  }

  #request = (
    { data, from }: Datagram<Addr>,
  ): [DatagramRequest<Addr>, Addr] => [
    [data, this.#socket],
    from,
  ];

  /** Does nothing: the socket is shared by every request. */
  override shutdownRequest(): void {}

  /** Does nothing: the socket is shared by every request. */
  override closeRequest(): void {}
}
