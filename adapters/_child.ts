/**
 * The entry module of a child process, on every runtime: it connects back
 * to the server (`node:net`, a client socket every runtime has) and serves
 * what the server relays. It exits when the server closes the link.
 *
 * Arguments: the server's loopback port and the token that proves this
 * child is the one the server started.
 *
 * @module
 */

import { connect } from "node:net";
import process from "node:process";
import { encodeFrame, FrameReader } from "../src/pool/frames.ts";
import type { ToWorker } from "../src/pool/messages.ts";
import { serveParent } from "../src/pool/worker_main.ts";

const [port, token] = process.argv.slice(2);
const socket = connect(Number(port), "127.0.0.1");
socket.setNoDelay(true);
// Without the server there is nothing left to do.
socket.on("error", () => process.exit(1));
socket.on("close", () => process.exit(0));
socket.write(encodeFrame({ t: "hello", token }));

let receive: (message: ToWorker) => void = () => {};
const reader = new FrameReader();
socket.on("data", (chunk: Uint8Array) => {
  for (const message of reader.push(chunk)) receive(message as ToWorker);
});
serveParent({
  send: (message) => socket.write(encodeFrame(message)),
  listen: (listener) => {
    receive = listener;
  },
});
