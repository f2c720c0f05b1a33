/**
 * `StreamRequestHandler`: a handler with `rfile` and `wfile` over the
 * connection.
 *
 * @module
 */

import { SocketError } from "../errors.ts";
import { SocketReader } from "../io/reader.ts";
import type { StreamSocket } from "../io/stream_socket.ts";
import { SocketWriter } from "../io/writer.ts";
import type { BaseServer } from "../server/base_server.ts";
import type { NetAddress } from "../transport.ts";
import { BaseRequestHandler } from "./base_handler.ts";

/**
 * A handler for stream servers with `rfile` (read by size or line, or
 * iterate lines) and `wfile` (write bytes or text, with backpressure).
 *
 * Settings are static fields a subclass overrides, as Python's class
 * attributes: `timeout` (ms, `null` for none), `rbufsize`, `wbufsize` and
 * `disableNagleAlgorithm`.
 *
 * @example A time-stamp line server's handler
 * ```ts
 * import { StreamRequestHandler } from "../../mod.ts";
 *
 * class TimeStamp extends StreamRequestHandler {
 *   static override timeout = 5000; // a silent client is dropped after 5 s
 *
 *   override async handle() {
 *     const line = new TextDecoder().decode(await this.rfile.readline());
 *     await this.wfile.write(`[${new Date().toString()}] ${line}`);
 *   }
 * }
 * ```
 */
export class StreamRequestHandler<Srv = BaseServer<StreamSocket, NetAddress>>
  extends BaseRequestHandler<StreamSocket, NetAddress, Srv> {
  /**
   * Milliseconds each read or write may wait before a `TimeoutError`;
   * `null` (the default) waits forever.
   */
  static timeout: number | null = null;
  /**
   * Bytes the runtime may read ahead of the handler; -1 (the default) means
   * 64 KiB. A client sending faster is held back, not buffered.
   */
  static rbufsize: number = -1;
  /**
   * Bytes `wfile` collects before sending; 0 (the default) sends every
   * write at once, -1 means 8 KiB.
   */
  static wbufsize: number = 0;
  /** Set `TCP_NODELAY` on the connection; off by default, as Python. */
  static disableNagleAlgorithm: boolean = false;

  /** The connection: the same object as `request`. */
  connection!: StreamSocket;
  /** Reads the connection. */
  rfile!: SocketReader;
  /** Writes the connection. */
  wfile!: SocketWriter;

  /** Applies the settings and opens `rfile` and `wfile`. */
  override setup(): void {
    const settings = this.constructor as typeof StreamRequestHandler;
    this.connection = this.request;
    if (settings.timeout !== null) this.connection.timeout = settings.timeout;
    if (settings.disableNagleAlgorithm) this.connection.setNoDelay(true);
    if (settings.rbufsize > 0) {
      this.connection.readBufferSize = settings.rbufsize;
    }
    this.rfile = new SocketReader(this.connection);
    this.wfile = new SocketWriter(this.connection, settings.wbufsize);
  }

  /**
   * Flushes `wfile` (a peer that is gone is ignored, as Python does) and
   * closes both files; the server closes the socket itself.
   */
  override async finish(): Promise<void> {
    if (!this.wfile.closed) {
      try {
        await this.wfile.flush();
      } catch (error) {
        if (!(error instanceof SocketError)) throw error;
      }
    }
    this.wfile.close();
    this.rfile.close();
  }
}
