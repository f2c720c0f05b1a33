/**
 * The floor of the pull model on Bun and Node: a library-free echo that
 * awaits one read promise per chunk, as every `await recv()` handler must,
 * over the runtime's push callbacks. The raw servers in `shared/bench`
 * write from inside the data callback and make no promise at all, so the
 * gap between them and this file is what Python's handler model costs on
 * these runtimes before any library code runs. On Deno the raw server is
 * already pull (`await conn.read()`), so this file runs the same loop.
 *
 *   deno run -A bench/raw_pull_echo.ts PORT | bun bench/raw_pull_echo.ts PORT | node bench/raw_pull_echo.ts PORT
 *
 * @module
 */

import { createServer } from "node:net";
import process from "node:process";

const port = Number(process.argv[2]);
const hostname = "127.0.0.1";
// deno-lint-ignore no-explicit-any
const runtime = globalThis as any;

/** Chunks pushed by a data callback, taken by `await read()`. */
class Pull {
  chunks: Uint8Array[] = [];
  waiting: ((chunk: Uint8Array | null) => void) | undefined;
  ended = false;

  push(chunk: Uint8Array | null): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (chunk === null) this.ended = true;
    if (waiting) waiting(chunk);
    else if (chunk) this.chunks.push(chunk);
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk || this.ended) return Promise.resolve(chunk ?? null);
    return new Promise((resolve) => this.waiting = resolve);
  }
}

if (runtime.Deno) {
  const listener = runtime.Deno.listen({ hostname, port });
  for await (const conn of listener) {
    (async () => {
      conn.setNoDelay(true);
      const buf = new Uint8Array(65536);
      try {
        for (let n; (n = await conn.read(buf)) !== null;) {
          for (let off = 0; off < n;) {
            off += await conn.write(buf.subarray(off, n));
          }
        }
      } catch { /* reset by peer */ }
      conn.close();
    })();
  }
} else if (runtime.Bun) {
  runtime.Bun.listen({
    hostname,
    port,
    socket: {
      // deno-lint-ignore no-explicit-any
      async open(socket: any) {
        const pull = socket.data = new Pull();
        for (let chunk; (chunk = await pull.read()) !== null;) {
          // 64-byte echoes always fit the send buffer: no drain handling.
          socket.write(chunk);
          await Promise.resolve(); // the handler's `await sendall()`
        }
        socket.end();
      },
      // deno-lint-ignore no-explicit-any
      data: (socket: any, chunk: Uint8Array) => socket.data.push(chunk),
      // deno-lint-ignore no-explicit-any
      close: (socket: any) => socket.data.push(null),
    },
  });
} else {
  createServer({ noDelay: true }, async (socket) => {
    const pull = new Pull();
    socket.on("data", (chunk: Uint8Array) => pull.push(chunk));
    socket.on("close", () => pull.push(null));
    socket.on("error", () => {});
    for (let chunk; (chunk = await pull.read()) !== null;) {
      if (!socket.write(chunk)) {
        await new Promise((resolve) => socket.once("drain", resolve));
      } else await Promise.resolve(); // the handler's `await sendall()`
    }
    socket.destroy();
  }).listen({ host: hostname, port, backlog: 1024 });
}
