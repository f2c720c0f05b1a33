/**
 * A handler for threaded and forking servers: it answers each line in upper
 * case, with the number of the worker that served it. Workers load it from
 * this module, so it is exported under its own name and says where it lives.
 *
 * @module
 */

import { StreamRequestHandler, type WorkerServer } from "../mod.ts";

/** Answers each line in upper case, prefixed with the worker's number. */
export class UpperHandler extends StreamRequestHandler<WorkerServer> {
  /** Where workers find this class. */
  static module = import.meta.url;

  override async handle(): Promise<void> {
    for (;;) {
      const line = await this.rfile.readline();
      if (line.length === 0) return;
      const text = new TextDecoder().decode(line).toUpperCase();
      await this.wfile.write(`${this.server.workerId}: ${text}`);
    }
  }
}
