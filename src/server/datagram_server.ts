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
  SocketAddress,
} from "../transport.ts";
import { SocketServer } from "./socket_server.ts";

/** The largest `maxPacketSize` accepted: 1 MiB, past any real datagram. */
export const MAX_PACKET_SIZE_LIMIT = 1 << 20;

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
    if (!Number.isInteger(size) || size < 1 || size > MAX_PACKET_SIZE_LIMIT) {
      return Promise.reject(
        new RangeError(
          `maxPacketSize must be an integer from 1 to ${MAX_PACKET_SIZE_LIMIT}, got ${size}`,
        ),
      );
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
