// The built npm package as a user gets it: plain JavaScript importing
// "@socketserver/socketserver" from node_modules. Run with `node smoke.mjs`
// or `bun smoke.mjs`; exits non-zero on the first failure.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import {
  TCPServer,
  ThreadingTCPServer,
  UDPServer,
} from "@socketserver/socketserver";
import { memoryDriver } from "@socketserver/socketserver/memory";
import { driver as nodeDriver } from "@socketserver/socketserver/node";
import { Echo, UpperDatagram, Who } from "./handlers.mjs";

const runtime = globalThis.Bun
  ? `bun ${Bun.version}`
  : `node ${process.version}`;
const deadline = setTimeout(() => {
  console.error(`smoke (${runtime}): timed out`);
  process.exit(1);
}, 30_000);

/** Sends `data` over TCP, half-closes, and returns everything read back. */
function exchange(port, data) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const socket = connect(port, "127.0.0.1", () => socket.end(data));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString()));
    socket.on("error", reject);
  });
}

async function tcpEcho(options) {
  const server = new TCPServer(
    { hostname: "127.0.0.1", port: 0 },
    Echo,
    options,
  );
  await server.ready();
  const serving = server.serveForever();
  try {
    assert.equal(
      await exchange(server.serverAddress.port, "hello npm"),
      "hello npm",
    );
  } finally {
    await server.shutdown();
    await serving;
    await server.serverClose();
  }
}

async function udpEcho() {
  const server = new UDPServer(
    { hostname: "127.0.0.1", port: 0 },
    UpperDatagram,
  );
  await server.ready();
  const serving = server.serveForever();
  const client = createSocket("udp4");
  try {
    const reply = new Promise((resolve) => client.once("message", resolve));
    client.send("ping", server.serverAddress.port, "127.0.0.1");
    assert.equal(String(await reply), "PING");
  } finally {
    client.close();
    await server.shutdown();
    await serving;
    await server.serverClose();
  }
}

async function threading() {
  const server = new ThreadingTCPServer(
    { hostname: "127.0.0.1", port: 0 },
    Who,
  );
  server.poolSize = 2;
  await server.ready();
  const serving = server.serveForever();
  try {
    const answers = await Promise.all(
      [1, 2, 3].map(() => exchange(server.serverAddress.port, "who")),
    );
    for (const answer of answers) assert.match(answer, /^[12] 3\n$/);
  } finally {
    await server.shutdown();
    await serving;
    await server.serverClose();
  }
  assert.equal(server.activeWorkers, 0);
}

/** A server on the memory driver, reached by its in-memory client. */
async function memoryEcho() {
  const { driver, network } = memoryDriver();
  const server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, Echo, {
    driver,
  });
  await server.ready();
  const serving = server.serveForever();
  try {
    const client = await network.connect(server.serverAddress);
    await client.write(new TextEncoder().encode("in memory"));
    await client.closeWrite();
    let text = "";
    for (let chunk; (chunk = await client.read()) !== null;) {
      text += new TextDecoder().decode(chunk);
    }
    client.close();
    assert.equal(text, "in memory");
  } finally {
    await server.shutdown();
    await serving;
    await server.serverClose();
  }
}

const cases = [
  ["TCP echo", () => tcpEcho()],
  ["TCP echo, node driver", () => tcpEcho({ driver: nodeDriver })],
  ["UDP echo", udpEcho],
  ["threading server", threading],
  ["memory driver", memoryEcho],
];
for (const [name, run] of cases) {
  await run();
  console.log(`ok - ${name} (${runtime})`);
}
clearTimeout(deadline);
