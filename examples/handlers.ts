/**
 * Handlers for the threaded and forking examples. Worker threads and child
 * processes load a handler from its module, so it lives in a module of its
 * own (importing the example itself would start a second server) and says
 * where with `static module`.
 *
 * @module
 */

import {
  BaseRequestHandler,
  formatAddress,
  type NetAddress,
  type StreamSocket,
  type WorkerServer,
} from "../mod.ts";

/** The seed's echo handler, run by a worker: every chunk goes back. */
export class EchoHandler
  extends BaseRequestHandler<StreamSocket, NetAddress, WorkerServer> {
  /** Where workers find this class. */
  static module = import.meta.url;

  override async handle(): Promise<void> {
    console.log(
      `worker ${this.server.workerId}: connection from ${
        formatAddress(this.clientAddress)
      }`,
    );
    for (;;) {
      const msg = await this.request.recv(8192);
      if (msg.length === 0) break;
      await this.request.sendall(msg);
    }
  }
}

/**
 * The seed's `ThreadedTCPRequestHandler`: answers `"<worker>: <data>"`,
 * where Python answers with the thread's name.
 */
export class WorkerNameHandler
  extends BaseRequestHandler<StreamSocket, NetAddress, WorkerServer> {
  /** Where workers find this class. */
  static module = import.meta.url;

  override async handle(): Promise<void> {
    const data = new TextDecoder().decode(await this.request.recv(1024));
    await this.request.sendall(`Worker-${this.server.workerId}: ${data}`);
  }
}
