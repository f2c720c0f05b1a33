/**
 * Small byte helpers shared by the readers and writers.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * `data` as bytes: strings are encoded as UTF-8, byte arrays pass through.
 *
 * @param data Bytes or text.
 * @returns The bytes.
 */
export function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(
    `data must be a Uint8Array or a string, got ${typeof data}`,
  );
}

/**
 * Joins `parts` whose lengths add up to `size`, without a copy when there is
 * only one part.
 *
 * @param parts The chunks in order.
 * @param size Their total length.
 * @returns One array holding all the bytes.
 */
export function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
