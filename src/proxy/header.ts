/**
 * The PROXY protocol (versions 1 and 2) as HAProxy specifies it: the header
 * a load balancer puts in front of a connection to say which client it
 * accepted. Servers read it when their `proxyProtocol` option is on.
 *
 * @module
 */

import { settlesBy } from "../_deferred.ts";
import { ProxyProtocolError, TimeoutError } from "../errors.ts";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip.ts";
import type { NetAddress } from "../transport.ts";
import type { ChunkSource } from "../io/reader.ts";

/** What a PROXY protocol header says about a connection. */
export interface ProxyHeader {
  /** `1` for the text header, `2` for the binary one. */
  version: 1 | 2;
  /**
   * The client the proxy accepted; `null` when the header names no
   * address to use: a health check (version 2's `LOCAL`), version 1's
   * `UNKNOWN`, or a family other than TCP or UDP over IPv4 or IPv6.
   */
  source: NetAddress | null;
  /** The address the client connected to at the proxy, or `null` as above. */
  destination: NetAddress | null;
}

/** The longest version 1 header, `\r\n` included. */
const V1_MAX = 107;
const bytesOf = (text: string) =>
  Array.from(text, (char) => char.charCodeAt(0));
const V1_PREFIX = bytesOf("PROXY ");
const V2_SIGNATURE = bytesOf("\r\n\r\n\0\r\nQUIT\n");
const CR = 0x0d;
const LF = 0x0a;
const PORT = /^(?:0|[1-9][0-9]{0,4})$/;

/**
 * Parses the PROXY protocol header at the start of `bytes`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProxyHeader } from "./header.ts";
 *
 * const bytes = new TextEncoder().encode("PROXY TCP4 192.0.2.7 198.51.100.1 5000 80\r\nhi");
 * assert.deepEqual(parseProxyHeader(bytes), {
 *   header: {
 *     version: 1,
 *     source: { hostname: "192.0.2.7", port: 5000 },
 *     destination: { hostname: "198.51.100.1", port: 80 },
 *   },
 *   length: 43,
 * });
 * assert.equal(parseProxyHeader(bytes.subarray(0, 10)), 11); // wait for more
 * ```
 *
 * @param bytes The first bytes of the connection.
 * @returns The header and its length in bytes, or, when `bytes` holds only
 * the start of a header, how many bytes to wait for before trying again.
 * @throws {ProxyProtocolError} When the bytes are not, or cannot become, a
 * valid header.
 */
export function parseProxyHeader(
  bytes: Uint8Array,
): { header: ProxyHeader; length: number } | number {
  if (bytes.length === 0) return 1;
  if (bytes[0] === V2_SIGNATURE[0]) return parseV2(bytes);
  if (bytes[0] === V1_PREFIX[0]) return parseV1(bytes);
  throw missing();
}

function missing(): ProxyProtocolError {
  return new ProxyProtocolError(
    "the connection did not start with a PROXY protocol header",
  );
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function parseV1(
  bytes: Uint8Array,
): { header: ProxyHeader; length: number } | number {
  if (!startsWith(bytes, V1_PREFIX)) throw missing();
  const scan = Math.min(bytes.length, V1_MAX);
  let end = -1;
  for (let i = 0; i < scan; i++) {
    const byte = bytes[i];
    // Only CRLF ends the line: a lone CR or LF is an error, not an end.
    if (byte === LF && bytes[i - 1] !== CR) throw bad("a bare LF");
    if (byte === CR && i + 1 < bytes.length && bytes[i + 1] !== LF) {
      throw bad("a CR not followed by LF");
    }
    if (byte === LF) {
      end = i + 1;
      break;
    }
  }
  if (end < 0) {
    if (bytes.length >= V1_MAX) {
      throw bad(`no CRLF in the first ${V1_MAX} bytes`);
    }
    return bytes.length + 1;
  }
  const line = String.fromCharCode(...bytes.subarray(0, end - 2));
  const fields = line.split(" ");
  const family = fields[1];
  const none = { version: 1, source: null, destination: null } as const;
  // The rest of an UNKNOWN line is to be ignored, whatever it holds.
  if (family === "UNKNOWN") return { header: none, length: end };
  if (family !== "TCP4" && family !== "TCP6") {
    throw bad(`unknown protocol ${JSON.stringify(family ?? "")}`);
  }
  if (fields.length !== 6) {
    throw bad("a TCP line needs 2 addresses and 2 ports, one space apart");
  }
  const [, , source, destination, sourcePort, destinationPort] = fields;
  const header: ProxyHeader = {
    version: 1,
    source: {
      hostname: v1Address(source, family),
      port: v1Port(sourcePort),
    },
    destination: {
      hostname: v1Address(destination, family),
      port: v1Port(destinationPort),
    },
  };
  return { header, length: end };
}

/** The address in the runtimes' text form, `::1` however it was written. */
function v1Address(text: string, family: "TCP4" | "TCP6"): string {
  if (family === "TCP4") {
    const bytes = parseIPv4(text);
    if (bytes) return formatIPv4(bytes);
  } else {
    const bytes = parseIPv6(text);
    if (bytes) return formatIPv6(bytes);
  }
  throw bad(`${JSON.stringify(text)} is not a ${family} address`);
}

function v1Port(text: string): number {
  const port = PORT.test(text) ? Number(text) : NaN;
  if (!(port <= 65535)) throw bad(`${JSON.stringify(text)} is not a port`);
  return port;
}

function parseV2(
  bytes: Uint8Array,
): { header: ProxyHeader; length: number } | number {
  if (!startsWith(bytes, V2_SIGNATURE)) throw missing();
  if (bytes.length < 16) return 16;
  const version = bytes[12] >> 4;
  const command = bytes[12] & 0x0f;
  if (version !== 2) throw bad(`version ${version}; only 2 is binary`);
  if (command > 1) throw bad(`command ${command}; only LOCAL and PROXY exist`);
  const length = 16 + ((bytes[14] << 8) | bytes[15]);
  if (bytes.length < length) return length;
  const none = { version: 2, source: null, destination: null } as const;
  // LOCAL: the proxy's own connection (a health check); the block is ignored.
  if (command === 0) return { header: none, length };
  const family = bytes[13] >> 4;
  const transport = bytes[13] & 0x0f;
  if (family > 3) throw bad(`address family ${family}`);
  if (transport > 2) throw bad(`transport ${transport}`);
  // UNSPEC and Unix addresses say nothing a TCP server could use.
  if (transport === 0 || (family !== 1 && family !== 2)) {
    return { header: none, length };
  }
  const size = family === 1 ? 4 : 16;
  const block = bytes.subarray(16, length);
  if (block.length < 2 * size + 4) {
    throw bad(
      `${block.length} address bytes; IPv${family === 1 ? 4 : 6} needs ${
        2 * size + 4
      }`,
    );
  }
  const format = family === 1 ? formatIPv4 : formatIPv6;
  const port = (at: number) => (block[at] << 8) | block[at + 1];
  const header: ProxyHeader = {
    version: 2,
    source: { hostname: format(block.subarray(0, size)), port: port(2 * size) },
    destination: {
      hostname: format(block.subarray(size, 2 * size)),
      port: port(2 * size + 2),
    },
  };
  return { header, length };
}

function bad(what: string): ProxyProtocolError {
  return new ProxyProtocolError(`malformed PROXY protocol header: ${what}`);
}

/**
 * Reads the PROXY protocol header from the start of a connection, leaving
 * whatever follows it to be read next.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProxyHeader } from "./header.ts";
 *
 * const chunks: Uint8Array[] = [
 *   new TextEncoder().encode("PROXY UNKNOWN\r\nhello"),
 * ];
 * const source = {
 *   readChunk: () => Promise.resolve(chunks.pop() ?? null),
 *   unread: (chunk: Uint8Array) => chunks.push(chunk),
 * };
 * assert.deepEqual(await readProxyHeader(source, 1000), {
 *   version: 1,
 *   source: null,
 *   destination: null,
 * });
 * assert.equal(new TextDecoder().decode(chunks[0]), "hello");
 * ```
 *
 * @param socket Where to read: the request's `StreamSocket`.
 * @param timeout Milliseconds the whole header may take to arrive.
 * @returns The header.
 * @throws {ProxyProtocolError} When the header is missing, malformed or
 * cut short by the end of the stream.
 * @throws {TimeoutError} When it has not arrived in full within `timeout`.
 */
export async function readProxyHeader(
  socket: ChunkSource,
  timeout: number,
): Promise<ProxyHeader> {
  const reading = collect(socket);
  if (await settlesBy(reading, Date.now() + timeout)) return reading;
  reading.catch(() => {}); // the caller closes the connection, which ends it
  throw new TimeoutError(
    `no complete PROXY protocol header within ${timeout} ms`,
  );
}

async function collect(socket: ChunkSource): Promise<ProxyHeader> {
  let buffer: Uint8Array = new Uint8Array(0);
  let filled = 0;
  for (;;) {
    const parsed = parseProxyHeader(buffer.subarray(0, filled));
    if (typeof parsed !== "number") {
      socket.unread(buffer.subarray(parsed.length, filled));
      return parsed.header;
    }
    const chunk = await socket.readChunk();
    if (chunk === null) {
      throw filled === 0
        ? missing()
        : bad("the connection ended inside the header");
    }
    if (filled === 0) {
      buffer = chunk; // the usual case: the whole header in the first chunk
    } else {
      // Grow to what the header is known to need, so tiny chunks copy little.
      if (filled + chunk.length > buffer.length) {
        const next = new Uint8Array(
          Math.max(parsed, filled + chunk.length, buffer.length * 2),
        );
        next.set(buffer.subarray(0, filled));
        buffer = next;
      }
      buffer.set(chunk, filled);
    }
    filled += chunk.length;
  }
}
