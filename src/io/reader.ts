/**
 * `rfile`: buffered reading of a stream socket, by size or by line.
 *
 * @module
 */

import { LineTooLongError } from "../errors.ts";
import { concat } from "./bytes.ts";

/**
 * Where a {@linkcode SocketReader} reads from: a `StreamSocket`, or a
 * datagram's payload.
 */
export interface ChunkSource {
  /** The next bytes, or `null` at the end. */
  readChunk(): Promise<Uint8Array | null>;
  /** Puts bytes back, to be read first. */
  unread(chunk: Uint8Array): void;
}

/**
 * The longest line {@linkcode SocketReader.readline} accepts by default, in
 * bytes including the `\n`: 64 KiB, as asyncio's `StreamReader`. Python's
 * `rfile.readline()` has no limit, which lets one client fill memory.
 */
export const DEFAULT_LINE_LIMIT = 65536;

const EMPTY = new Uint8Array(0);
const LF = 0x0a;

/** Options of {@linkcode SocketReader.readline}. */
export interface ReadlineOptions {
  /**
   * The longest line accepted, in bytes including the `\n`. Past it
   * `readline` throws a `LineTooLongError` and leaves the bytes unread.
   * Defaults to {@linkcode DEFAULT_LINE_LIMIT}.
   */
  limit?: number;
}

/**
 * Reads a stream socket or a datagram's payload by size or by line:
 * Python's `rfile`. It is also an async iterable of lines.
 *
 * @example A line echo handler
 * ```ts
 * import { StreamRequestHandler } from "../../mod.ts";
 *
 * class LineEcho extends StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 * ```
 */
export class SocketReader implements AsyncIterable<Uint8Array> {
  #socket: ChunkSource;
  #closed = false;

  /**
   * Reads `socket`; the handlers' `setup()` makes one as `rfile`.
   *
   * @param socket The connection (a `StreamSocket`) or packet to read.
   */
  constructor(socket: ChunkSource) {
    this.#socket = socket;
  }

  /** `true` once {@linkcode SocketReader.close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads `size` bytes, fewer only at end of stream. With no size (or a
   * negative one) it reads until the peer closes, with no limit: pass a size
   * when the peer is not trusted.
   *
   * @param size How many bytes to read; -1 for all until end of stream.
   * @returns The bytes; empty at end of stream.
   */
  async read(size = -1): Promise<Uint8Array> {
    this.#checkOpen();
    if (!Number.isInteger(size)) {
      throw new RangeError(`size must be an integer, got ${size}`);
    }
    if (size === 0) return EMPTY;
    const parts: Uint8Array[] = [];
    let got = 0;
    while (size < 0 || got < size) {
      let chunk = await this.#socket.readChunk();
      if (chunk === null) break;
      if (size >= 0 && chunk.length > size - got) {
        this.#socket.unread(chunk.subarray(size - got));
        chunk = chunk.subarray(0, size - got);
      }
      parts.push(chunk);
      got += chunk.length;
    }
    return got === 0 ? EMPTY : concat(parts, got);
  }

  /**
   * Reads one line, ending with `\n` unless the stream ended first. Returns
   * an empty array at end of stream.
   *
   * @param options `limit`: the longest line accepted (default 64 KiB).
   * @returns The line, with its `\n`.
   * @throws {LineTooLongError} When no `\n` comes within `limit` bytes; the
   * bytes stay unread.
   */
  async readline(options: ReadlineOptions = {}): Promise<Uint8Array> {
    this.#checkOpen();
    const limit = options.limit ?? DEFAULT_LINE_LIMIT;
    if (!(limit >= 1) || (limit !== Infinity && !Number.isInteger(limit))) {
      throw new RangeError(
        `limit must be a positive integer or Infinity, got ${limit}`,
      );
    }
    const parts: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const chunk = await this.#socket.readChunk();
      if (chunk === null) return size === 0 ? EMPTY : concat(parts, size);
      const end = chunk.indexOf(LF);
      const take = end === -1 ? chunk.length : end + 1;
      if (size + take > limit) {
        // Put everything back in stream order, so nothing is lost.
        this.#socket.unread(chunk);
        for (let i = parts.length - 1; i >= 0; i--) {
          this.#socket.unread(parts[i]);
        }
        throw new LineTooLongError(limit);
      }
      if (end === -1) {
        parts.push(chunk);
        size += chunk.length;
        continue;
      }
      if (take < chunk.length) this.#socket.unread(chunk.subarray(take));
      parts.push(take < chunk.length ? chunk.subarray(0, take) : chunk);
      return concat(parts, size + take);
    }
  }

  /** Yields lines (as {@linkcode SocketReader.readline}) until end of stream. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Marks the reader closed; the socket stays open. */
  close(): void {
    this.#closed = true;
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError("read from a closed rfile");
  }
}
