/**
 * `wfile`: writing to a stream socket, unbuffered or buffered.
 *
 * @module
 */

import { concat, toBytes } from "./bytes.ts";

/** Where a {@linkcode SocketWriter} writes: a `StreamSocket`, or a reply. */
export interface ByteSink {
  /** Takes all of `data`, resolving once it is sent or stored. */
  sendall(data: Uint8Array): Promise<unknown>;
}

/**
 * Writes to a stream socket, or into a datagram reply: Python's `wfile`.
 *
 * With `bufsize` 0 (the default, as Python's `wbufsize`) every `write` goes
 * straight to the socket. With a positive `bufsize`, writes collect until
 * that many bytes are waiting, then go out in one send; `flush()` (called by
 * `StreamRequestHandler.finish`) sends the rest.
 *
 * Every `write` resolves only once the socket has taken the bytes, so a peer
 * that stops reading holds the handler back instead of filling memory.
 *
 * @example
 * ```ts
 * import { StreamRequestHandler } from "../../mod.ts";
 *
 * class Greeter extends StreamRequestHandler {
 *   override async handle() {
 *     await this.wfile.write("hello\n"); // strings go out as UTF-8
 *   }
 * }
 * ```
 */
export class SocketWriter {
  #socket: ByteSink;
  #bufsize: number;
  #parts: Uint8Array[] = [];
  #buffered = 0;
  #closed = false;

  /**
   * Writes `socket`; the handlers' `setup()` makes one as `wfile`.
   *
   * @param socket The connection (a `StreamSocket`) or reply to write.
   * @param bufsize Bytes to collect before sending; 0 sends every write.
   */
  constructor(socket: ByteSink, bufsize = 0) {
    if (!Number.isInteger(bufsize) || bufsize < -1) {
      throw new RangeError(`bufsize must be an integer >= -1, got ${bufsize}`);
    }
    this.#socket = socket;
    // Python's -1 means "the default buffer size".
    this.#bufsize = bufsize === -1 ? 8192 : bufsize;
  }

  /** `true` once {@linkcode SocketWriter.close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Writes `data` (strings as UTF-8).
   *
   * @param data The bytes or text to write.
   * @returns The number of bytes written, as Python's `wfile.write`.
   */
  async write(data: Uint8Array | string): Promise<number> {
    if (this.#closed) throw new TypeError("write to a closed wfile");
    const bytes = toBytes(data);
    if (this.#bufsize === 0) {
      await this.#socket.sendall(bytes);
      return bytes.length;
    }
    // Copy: the caller may reuse its array once write() returns.
    this.#parts.push(typeof data === "string" ? bytes : bytes.slice());
    this.#buffered += bytes.length;
    if (this.#buffered >= this.#bufsize) await this.flush();
    return bytes.length;
  }

  /** Sends what buffered writes have collected. */
  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const data = concat(this.#parts, this.#buffered);
    this.#parts = [];
    this.#buffered = 0;
    await this.#socket.sendall(data);
  }

  /** Marks the writer closed, dropping unflushed data; the socket stays open. */
  close(): void {
    this.#closed = true;
    if (this.#buffered > 0) this.#parts = [];
    this.#buffered = 0;
  }
}
