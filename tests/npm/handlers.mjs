// Handlers the smoke test serves. The threading server loads this module in
// its workers, found by `static module`, as a user's own module would be.
import {
  BaseRequestHandler,
  DatagramRequestHandler,
} from "@socketserver/socketserver";

/** Echoes every chunk. */
export class Echo extends BaseRequestHandler {
  static module = import.meta.url;

  async handle() {
    for (;;) {
      const data = await this.request.recv(65536);
      if (data.length === 0) break;
      await this.request.sendall(data);
    }
  }
}

/** Answers one line with the worker that served it. */
export class Who extends BaseRequestHandler {
  static module = import.meta.url;

  async handle() {
    const line = await this.request.recv(100);
    await this.request.sendall(`${this.server.workerId} ${line.length}\n`);
  }
}

/** Echoes each datagram in upper case. */
export class UpperDatagram extends DatagramRequestHandler {
  static module = import.meta.url;

  handle() {
    const text = new TextDecoder().decode(this.packet);
    this.wfile.write(text.toUpperCase());
  }
}
