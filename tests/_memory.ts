// Clients of the memory driver, for the tests that run servers on it.

import type { MemoryNetwork } from "../adapters/memory/index.ts";
import type { SocketAddress, StreamConn } from "../mod.ts";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
export const LOCAL = { hostname: "127.0.0.1", port: 0 };

/** Reads until the server's FIN. */
export async function readAll(
  conn: StreamConn<SocketAddress>,
): Promise<string> {
  let text = "";
  for (let chunk; (chunk = await conn.read()) !== null;) {
    text += decoder.decode(chunk, { stream: true });
  }
  return text;
}

/** Sends `text`, half-closes, and returns the whole reply. */
export async function talk(
  network: MemoryNetwork,
  to: SocketAddress,
  text: string,
): Promise<string> {
  const conn = await network.connect(to);
  try {
    await conn.write(encoder.encode(text));
    await conn.closeWrite();
    return await readAll(conn);
  } finally {
    conn.close();
  }
}
