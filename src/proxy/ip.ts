/**
 * Strict IP address text to bytes and back, for the PROXY protocol: it
 * carries addresses as text (version 1) and as bytes (version 2), and both
 * must come out as the text the runtimes give for a connection's peer.
 *
 * @module
 */

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The four bytes of a dotted IPv4 address, or `undefined` if `text` is not
 * one. Leading zeros are refused: `010` might mean octal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIPv4 } from "./ip.ts";
 *
 * assert.deepEqual(parseIPv4("192.0.2.1"), new Uint8Array([192, 0, 2, 1]));
 * assert.equal(parseIPv4("192.0.2.01"), undefined);
 * assert.equal(parseIPv4("256.0.0.1"), undefined);
 * ```
 *
 * @param text The address text.
 * @returns Four bytes, or `undefined`.
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!IPV4_PART.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/**
 * The sixteen bytes of an IPv6 address, or `undefined` if `text` is not
 * one: groups of one to four hex digits, at most one `::`, optionally ending
 * in a dotted IPv4 address, 128 bits in all (as `inet_pton` reads it). Zone
 * suffixes (`%eth0`) are refused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIPv6 } from "./ip.ts";
 *
 * assert.equal(parseIPv6("::1")?.[15], 1);
 * assert.equal(parseIPv6("::ffff:192.0.2.1")?.[12], 192);
 * assert.equal(parseIPv6("1::2::3"), undefined);
 * ```
 *
 * @param text The address text.
 * @returns Sixteen bytes, or `undefined`.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  // Only the very last group may be a dotted IPv4 address.
  const all = [...head, ...tail];
  if (all.slice(0, -1).some((word) => typeof word === "string")) {
    return undefined;
  }
  const size = (list: (number | string)[]) =>
    list.reduce<number>((n, word) => n + (typeof word === "string" ? 4 : 2), 0);
  const used = size(all);
  if (halves.length === 2 ? used > 14 : used !== 16) return undefined;
  const bytes = new Uint8Array(16);
  // The head from the start, the tail against the end; `::` is the zeros between.
  for (const [list, start] of [[head, 0], [tail, 16 - size(tail)]] as const) {
    let at = start;
    for (const word of list) {
      if (typeof word === "string") {
        const v4 = parseIPv4(word);
        if (v4 === undefined) return undefined;
        bytes.set(v4, at);
        at += 4;
      } else {
        bytes[at++] = word >> 8;
        bytes[at++] = word & 0xff;
      }
    }
  }
  return bytes;
}

/** A half of an IPv6 text split at `::`: numbers, or a dotted IPv4 string. */
function groups(text: string): (number | string)[] | undefined {
  if (text === "") return [];
  const out: (number | string)[] = [];
  for (const group of text.split(":")) {
    if (HEX_GROUP.test(group)) out.push(parseInt(group, 16));
    else if (group.includes(".")) out.push(group);
    else return undefined;
  }
  return out;
}

/**
 * The text of a four-byte IPv4 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIPv4 } from "./ip.ts";
 *
 * assert.equal(formatIPv4(new Uint8Array([127, 0, 0, 1])), "127.0.0.1");
 * ```
 *
 * @param bytes Four bytes.
 * @returns Dotted decimal text.
 */
export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * The text of a sixteen-byte IPv6 address in RFC 5952's form, which the
 * runtimes also use for a peer's address: lower case, the longest run of
 * zero groups as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatIPv6, parseIPv6 } from "./ip.ts";
 *
 * assert.equal(formatIPv6(parseIPv6("2001:DB8:0:0:0:0:0:1")!), "2001:db8::1");
 * assert.equal(formatIPv6(parseIPv6("::ffff:7f00:1")!), "::ffff:127.0.0.1");
 * ```
 *
 * @param bytes Sixteen bytes.
 * @returns The address text.
 */
export function formatIPv6(bytes: Uint8Array): string {
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) &&
    bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `::ffff:${formatIPv4(bytes.subarray(12))}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  // The longest run of two or more zero words (the first, on a tie).
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > bestLength) {
      best = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (list: number[]) => list.map((word) => word.toString(16));
  if (best < 0) return hex(words).join(":");
  return `${hex(words.slice(0, best)).join(":")}::${
    hex(words.slice(best + bestLength)).join(":")
  }`;
}
