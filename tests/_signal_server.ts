// A server for tests/shutdown_test.ts, run as its own process so signals
// reach it and not the test runner:
//   _signal_server.ts GRACE_MS|null [sequential]
// (an EventLoopTCPServer with that closeGrace, or a TCPServer)
// Each client sends "hold\n" (answered "holding\n"), then, to finish, "go\n"
// (answered "done\n"). `closeOnSignals` stops it; "closed" is printed once
// `serverClose()` returns.

import process from "node:process";
import {
  closeOnSignals,
  EventLoopTCPServer,
  formatAddress,
  StreamRequestHandler,
  TCPServer,
} from "../mod.ts";

class Hold extends StreamRequestHandler {
  override async handle() {
    await this.rfile.readline();
    await this.wfile.write("holding\n");
    const line = new TextDecoder().decode(await this.rfile.readline());
    if (line === "go\n") await this.wfile.write("done\n");
  }
}

const address = { hostname: "127.0.0.1", port: 0 };
let server: TCPServer | EventLoopTCPServer;
if (process.argv[3] === "sequential") server = new TCPServer(address, Hold);
else {
  const eventLoop = new EventLoopTCPServer(address, Hold);
  eventLoop.closeGrace = process.argv[2] === "null"
    ? null
    : Number(process.argv[2]);
  server = eventLoop;
}
closeOnSignals(server, {
  onClosed: (error) => console.log(error ? `failed: ${error}` : "closed"),
});
await server.ready();
console.log(`listening on ${formatAddress(server.serverAddress)}`);
await server.serveForever();
