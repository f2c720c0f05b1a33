/**
 * Raw UDP echo with each runtime's own API, the ceiling for `UDPServer`:
 * `Deno.listenDatagram` on Deno, `Bun.udpSocket` on Bun, `node:dgram` on
 * Node. Prints `listening` once bound.
 *
 *   deno run -A bench/raw_udp_echo.ts PORT | bun bench/raw_udp_echo.ts PORT | node bench/raw_udp_echo.ts PORT
 *
 * @module
 */

import { createSocket } from "node:dgram";
import process from "node:process";

const port = Number(process.argv[2]);
const hostname = "127.0.0.1";
// deno-lint-ignore no-explicit-any
const runtime = globalThis as any;

if (runtime.Deno) {
  const conn = runtime.Deno.listenDatagram({
    transport: "udp",
    hostname,
    port,
  });
  console.log("listening");
  const buffer = new Uint8Array(65536);
  for (;;) {
    const [data, from] = await conn.receive(buffer);
    await conn.send(data, from);
  }
} else if (runtime.Bun) {
  await runtime.Bun.udpSocket({
    hostname,
    port,
    socket: {
      // deno-lint-ignore no-explicit-any
      data(socket: any, data: Uint8Array, peerPort: number, peer: string) {
        socket.send(data, peerPort, peer);
      },
    },
  });
  console.log("listening");
} else {
  const socket = createSocket("udp4");
  socket.on(
    "message",
    (data, from) => socket.send(data, from.port, from.address),
  );
  socket.bind(port, hostname, () => console.log("listening"));
}
