// One of two servers behind HAProxy for tests/load_balancer_test.ts: an
// event-loop line server on a fixed port, stopped by SIGTERM through
// closeOnSignals. It prints each request it answered, so the test can check
// that every request was answered exactly once. Arguments: port, name.

import process from "node:process";
import {
  closeOnSignals,
  EventLoopTCPServer,
  StreamRequestHandler,
} from "../mod.ts";

const [port, name] = process.argv.slice(2);

class Answer extends StreamRequestHandler {
  override async handle(): Promise<void> {
    const line = new TextDecoder().decode(await this.rfile.readline()).trim();
    if (line === "check") { // HAProxy's health check
      await this.wfile.write("check ok\n");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5)); // some work
    await this.wfile.write(`${line} ${name}\n`);
    console.log(`served ${line}`);
  }
}

const server = new EventLoopTCPServer(
  { hostname: "127.0.0.1", port: Number(port) },
  Answer,
);
await server.ready();
closeOnSignals(server);
console.log(`listening on 127.0.0.1:${server.serverAddress.port}`);
await server.serveForever();
console.log("stopped");
