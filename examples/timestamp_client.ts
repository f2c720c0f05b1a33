/**
 * The time-stamp server's client from the seed texts: reads lines from the
 * keyboard (standard input), opens a new connection for each, sends it with
 * CRLF, and prints the stripped answer; an empty line or the end of input
 * stops it.
 *
 *   deno run -A examples/timestamp_client.ts [port] [host]
 *   bun examples/timestamp_client.ts [port] [host]
 *   node examples/timestamp_client.ts [port] [host]
 *
 * @module
 */

import { connect } from "node:net";
import process from "node:process";
import { createInterface } from "node:readline";

const port = Number(process.argv[2] ?? 21567);
const host = process.argv[3] ?? "localhost";

/** Sends one line on a new connection and returns the whole answer. */
function ask(line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = connect(port, host, () => socket.write(`${line}\r\n`));
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => answer += text);
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

// A prompt only at a terminal, so piped input gives clean output.
const prompt = () => process.stdin.isTTY && process.stdout.write("> ");
prompt();
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "") break;
  console.log((await ask(line)).trim());
  prompt();
}
process.stdin.destroy();
