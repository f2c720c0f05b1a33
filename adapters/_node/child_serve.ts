/**
 * A child process's work, on every runtime: it connects back to the server
 * (`node:net`, a client socket every runtime has) and serves the
 * connections the server passes it, or those it accepts on the server's
 * port itself (`listenInChildren`). It exits when the server closes the
 * link. The entries are `child.ts` (Deno and Node) and `../bun/child.ts`.
 *
 * Standard input brings one line, `PORT TOKEN`: the server's loopback port
 * and the token that proves this child is the one the server started. It
 * comes over stdin because a command line is readable by every local user.
 *
 * @module
 */

import { connect } from "node:net";
import process from "node:process";
import {
  encodeFrame,
  frameBatcher,
  FrameReader,
} from "../../src/pool/frames.ts";
import type { ToWorker } from "../../src/pool/messages.ts";
import { serveParent } from "../../src/pool/worker_main.ts";
import { bindInWorker, listenInWorker } from "../_shared/worker_listen.ts";
import { type AdoptNative, takeOver } from "./take_over.ts";

/** The first line of standard input; stdin is let go after it. */
function readLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const stdin = process.stdin;
    stdin.setEncoding("utf8");
    const done = (line: string) => {
      stdin.off("data", onData);
      stdin.pause();
      stdin.destroy();
      resolve(line);
    };
    const onData = (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end >= 0) done(text.slice(0, end));
    };
    stdin.on("data", onData);
    stdin.once("end", () => done(text));
    stdin.once("error", reject);
  });
}

/**
 * Runs this process as a child of a pool's server.
 *
 * @param native Serves a passed plain connection with the runtime's own
 * sockets (Bun's), instead of `node:net`.
 *
 * @example A child entry module
 * ```ts ignore
 * import { serveChild } from "./child_serve.ts";
 *
 * await serveChild();
 * ```
 */
export async function serveChild(native?: AdoptNative): Promise<void> {
  const [port, token] = (await readLine()).trim().split(" ");
  const socket = connect(Number(port), "127.0.0.1");
  socket.setNoDelay(true);
  // Without the server there is nothing left to do.
  socket.on("error", () => process.exit(1));
  socket.on("close", () => process.exit(0));
  socket.write(encodeFrame({ t: "hello", token }));

  // What handlers send before they next wait goes out as one write.
  const outbox = frameBatcher((frames) => void socket.write(frames));
  let receive: (message: ToWorker) => void = () => {};
  const reader = new FrameReader();
  socket.on("data", (chunk: Uint8Array) => {
    for (const message of reader.push(chunk)) receive(message as ToWorker);
  });
  serveParent({
    send: (message) => outbox.send(message),
    listen: (listener) => {
      receive = listener;
    },
    adopt: (serve) => {
      process.on("message", takeOver(serve, native));
    },
    listenTcp: listenInWorker,
    bindUdp: bindInWorker,
  });
}
