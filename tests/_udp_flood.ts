// Sends a burst of small datagrams as fast as this runtime can, for
// tests/datagram_burst_test.ts. Arguments: port, count.

import * as dgram from "node:dgram";
import process from "node:process";

const [port, count] = process.argv.slice(2).map(Number);
const socket = dgram.createSocket("udp4");
const payload = new Uint8Array(16);
const started = Date.now();
let sent = 0;
while (sent < count) {
  // In batches, so libuv's send queue stays short.
  const batch = Math.min(1000, count - sent);
  await Promise.all(
    Array.from(
      { length: batch },
      () =>
        new Promise<void>((resolve) =>
          socket.send(payload, port, "127.0.0.1", () => resolve())
        ),
    ),
  );
  sent += batch;
}
console.log(`sent ${sent} in ${Date.now() - started} ms`);
socket.close();
