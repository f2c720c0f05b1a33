/**
 * `DatagramRequestHandler`: a handler with `rfile` over the datagram and
 * `wfile` collecting the reply.
 *
 * @module
 */

import type { DatagramSocket } from "../io/datagram_socket.ts";
import { PacketBuffer, PacketSource } from "../io/packet.ts";
import { SocketReader } from "../io/reader.ts";
import { SocketWriter } from "../io/writer.ts";
import type { BaseServer } from "../server/base_server.ts";
import type { NetAddress, SocketAddress } from "../transport.ts";
import { BaseRequestHandler } from "./base_handler.ts";

/**
 * A datagram server's request: the payload and the server's socket, as
 * Python's `(data, socket)` tuple.
 *
 * @typeParam A `{ hostname, port }` for UDP, `{ path }` for Unix.
 */
export type DatagramRequest<A extends SocketAddress = NetAddress> = [
  packet: Uint8Array,
  socket: DatagramSocket<A>,
];

/**
 * A handler for datagram servers: `rfile` reads the datagram, and what the
 * handler writes to `wfile` is sent back to `clientAddress` as one datagram
 * when it finishes, even if nothing was written (an empty datagram) and
 * even if `handle()` threw, as Python does.
 *
 * @typeParam Srv The server type.
 * @typeParam Addr `{ hostname, port }` for UDP, `{ path }` for Unix.
 *
 * @example An upper-casing UDP server
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSocket } from "node:dgram";
 * import { DatagramRequestHandler, UDPServer } from "../../mod.ts";
 *
 * class Upper extends DatagramRequestHandler {
 *   override async handle() {
 *     const text = new TextDecoder().decode(await this.rfile.read());
 *     await this.wfile.write(text.toUpperCase());
 *   }
 * }
 *
 * await using server = new UDPServer({ hostname: "127.0.0.1", port: 0 }, Upper);
 * await server.ready();
 * const serving = server.serveForever();
 * const client = createSocket("udp4");
 * const reply = new Promise<string>((resolve) => client.once("message", (m) => resolve(String(m))));
 * client.send("hello", server.serverAddress.port, "127.0.0.1");
 * assert.equal(await reply, "HELLO");
 * client.close();
 * await server.shutdown();
 * await serving;
 * ```
 */
export class DatagramRequestHandler<
  Srv = BaseServer<DatagramRequest, NetAddress>,
  Addr extends SocketAddress = NetAddress,
> extends BaseRequestHandler<DatagramRequest<Addr>, Addr, Srv> {
  /** The datagram's payload. */
  packet!: Uint8Array;
  /** The server's socket (shared by all requests; do not close it). */
  socket!: DatagramSocket<Addr>;
  /** Collects the reply. */
  wfile!: SocketWriter;
  #reply!: PacketBuffer;
  /** Made on first use: most handlers read `packet` and never `rfile`. */
  #rfile: SocketReader | undefined;

  /** Reads the payload by size or by line. */
  get rfile(): SocketReader {
    return this.#rfile ??= new SocketReader(new PacketSource(this.packet));
  }

  set rfile(reader: SocketReader) {
    this.#rfile = reader;
  }

  /** Opens `rfile` over the payload (when first read) and an empty `wfile`. */
  override setup(): void {
    [this.packet, this.socket] = this.request;
    this.#reply = new PacketBuffer();
    this.wfile = new SocketWriter(this.#reply);
  }

  /** Sends what `wfile` collected to `clientAddress` as one datagram. */
  override async finish(): Promise<void> {
    this.#rfile?.close();
    this.wfile.close();
    await this.socket.sendto(this.#reply.value(), this.clientAddress);
  }
}
