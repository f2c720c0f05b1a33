/**
 * The benchmark's echo handlers: for streams, `recv` and `sendall` until
 * the client closes, as the raw servers in `shared/bench/servers` do with
 * each runtime's own API; for datagrams, each one written back.
 *
 * @module
 */

import { BaseRequestHandler, DatagramRequestHandler } from "../mod.ts";

/** Echoes every chunk back. */
export class Echo extends BaseRequestHandler {
  /** Where worker threads and children find this class. */
  static module = import.meta.url;

  override setup() {
    this.request.setNoDelay(true); // as the raw servers do
  }

  override async handle() {
    for (;;) {
      const data = await this.request.recv(65536);
      if (data.length === 0) break;
      await this.request.sendall(data);
    }
  }
}

/** Writes every datagram back. */
export class DatagramEcho extends DatagramRequestHandler {
  /** Where worker threads and children find this class. */
  static module = import.meta.url;

  override async handle() {
    await this.wfile.write(this.packet);
  }
}
