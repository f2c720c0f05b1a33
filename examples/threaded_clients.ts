/**
 * The seed texts' threaded server with three clients, in one program: a
 * `ThreadingTCPServer` on a free port serves in the background, three
 * clients send "Hello World 1" to "3" and print which worker answered, and
 * the server shuts down.
 *
 *   deno run -A examples/threaded_clients.ts
 *   bun examples/threaded_clients.ts
 *   node examples/threaded_clients.ts
 *
 * Prints, for example:
 *
 *   Server loop running on 127.0.0.1:40191
 *   Received: Worker-1: Hello World 1
 *   Received: Worker-2: Hello World 2
 *   Received: Worker-1: Hello World 3
 *
 * @module
 */

import { connect } from "node:net";
import { formatAddress, ThreadingTCPServer } from "../mod.ts";
import { WorkerNameHandler } from "./handlers.ts";

/** Sends `message` and returns the answer (Python's `client()`). */
function client(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => socket.write(message));
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => answer += text);
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

await using server = new ThreadingTCPServer(
  { hostname: "127.0.0.1", port: 0 },
  WorkerNameHandler,
);
await server.ready();
// Python runs serve_forever in a daemon thread; here it is a promise.
const serving = server.serveForever();
console.log(`Server loop running on ${formatAddress(server.serverAddress)}`);

const { port } = server.serverAddress;
for (const n of [1, 2, 3]) {
  console.log(`Received: ${await client(port, `Hello World ${n}`)}`);
}
await server.shutdown();
await serving;
