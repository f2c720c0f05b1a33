// Type-checked with `tsc --noEmit` against the package's declarations, as a
// TypeScript user's project sees them.
import {
  BaseRequestHandler,
  type NetAddress,
  SocketError,
  TCPServer,
  ThreadingTCPServer,
} from "@socketserver/socketserver";
import { driver } from "@socketserver/socketserver/node";

export class Echo extends BaseRequestHandler {
  static module: string = import.meta.url;

  override async handle(): Promise<void> {
    const data: Uint8Array = await this.request.recv(1024);
    await this.request.sendall(data);
  }
}

const address: NetAddress = { hostname: "127.0.0.1", port: 0 };
const server = new TCPServer(address, Echo, {
  driver,
  bindAndActivate: false,
});
const port: number = server.serverAddress.port;
const threads = new ThreadingTCPServer({ hostname: "::1", port }, Echo);
threads.poolSize = 2;
const code: string = new SocketError("EPIPE", "closed").code;
// @ts-expect-error: an address needs a hostname and a port, or a path
new TCPServer({ port: 1 }, Echo);
export { code, server, threads };
