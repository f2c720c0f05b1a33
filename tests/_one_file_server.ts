// A program written as Python's examples are: handler and server in one
// file, the server started at the top level, no guard. Workers import this
// module to find the handler; tests/one_file_program_test.ts checks that
// they take it without starting servers of their own.
// Arguments: "threads" or "processes".

import process from "node:process";
import {
  closeOnSignals,
  ForkingTCPServer,
  StreamRequestHandler,
  ThreadingTCPServer,
} from "../mod.ts";

class Hello extends StreamRequestHandler {
  static module = import.meta.url;

  override async handle(): Promise<void> {
    const line = new TextDecoder().decode(await this.rfile.readline()).trim();
    await this.wfile.write(`hello ${line} from pid ${process.pid}\n`);
  }
}

const Server = process.argv[2] === "processes"
  ? ForkingTCPServer
  : ThreadingTCPServer;
const server = new Server({ hostname: "127.0.0.1", port: 0 }, Hello);
if ("maxChildren" in server) server.maxChildren = 2;
else server.poolSize = 2;
await server.ready();
console.log(`listening on 127.0.0.1:${server.serverAddress.port}`);
closeOnSignals(server);
await server.serveForever();
