// Handlers that worker threads and child processes load by module URL. One
// command per connection: the first line says what to do.

import process from "node:process";
import { streamConnOf } from "../src/io/stream_socket.ts";
import { datagramEndpointOf } from "../src/io/datagram_socket.ts";
import { RemoteConn, RemoteEndpoint } from "../src/pool/remote_conn.ts";
import {
  DatagramRequestHandler,
  StreamRequestHandler,
  type WorkerServer,
} from "../mod.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();

/** Keeps the thread busy computing for `ms` (no await, no I/O). */
export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // burn CPU
  }
}

/** What handlers started and ended in this thread, in order. */
export const served: string[] = [];

export class Commands extends StreamRequestHandler<WorkerServer> {
  static module = import.meta.url;

  override async handle(): Promise<void> {
    const [command, arg] = text(await this.rfile.readline()).split(" ");
    const server = this.server;
    switch (command) {
      case "spin":
        served.push("spin started");
        await this.wfile.write("started\n");
        spin(Number(arg));
        served.push("spin done");
        await this.wfile.write("done\n");
        return;
      case "who":
        await this.wfile.write(
          `${server.workerId} ${JSON.stringify(server.workerData)} ${
            (server.serverAddress as { port: number }).port
          } ${process.pid}\n`,
        );
        return;
      case "runtime": { // which runtime runs this worker
        const global = globalThis as { Deno?: unknown; Bun?: unknown };
        const name = global.Deno ? "deno" : global.Bun ? "bun" : "node";
        await this.wfile.write(`${name} ${process.pid}\n`);
        return;
      }
      case "addr": { // the clientAddress the handler got
        const { hostname, port } = this.clientAddress as {
          hostname: string;
          port: number;
        };
        await this.wfile.write(`${hostname} ${port}\n`);
        return;
      }
      case "held": // whether this worker holds the socket or gets it relayed
        await this.wfile.write(
          streamConnOf(this.request) instanceof RemoteConn
            ? "relayed\n"
            : "own\n",
        );
        return;
      case "conn": // the class of the connection the handler serves
        await this.wfile.write(
          `${streamConnOf(this.request).constructor.name}\n`,
        );
        return;
      case "wait": // replies once the client sends a second line
        await this.wfile.write(`waiting ${server.workerId}\n`);
        await this.rfile.readline();
        await this.wfile.write("went\n");
        return;
      case "throw":
        throw new RangeError("boom in a worker");
      case "crash":
        // An error no handler can catch: it ends the worker.
        setTimeout(() => {
          throw new Error("uncaught in a worker");
        }, 0);
        await new Promise(() => {});
        return;
      case "exit":
        process.exit(3);
        return;
      case "hang":
        spin(60_000);
        return;
      case "stop":
        await server.shutdown();
        await this.wfile.write("stopped\n");
        return;
      case "big": { // echoes everything until the client's FIN
        for (;;) {
          const chunk = await this.rfile.read(65536);
          if (chunk.length === 0) return;
          await this.wfile.write(chunk);
        }
      }
      default:
        served.push(`echo ${command}`);
        await this.wfile.write(`echo ${command}\n`);
    }
  }
}

export class UpperDatagram extends DatagramRequestHandler<WorkerServer> {
  static module = import.meta.url;

  override handle(): void {
    this.wfile.write(
      `${this.server.workerId} ${text(this.packet).toUpperCase()}`,
    );
  }
}

/**
 * One command per datagram: `who`, `held` (whether the reply leaves from
 * the worker's own socket), `slow` (replies after 300 ms), `forever`
 * (never returns), `throw`,
 * `crash`, `hang`; anything else comes back in capitals.
 */
export class DatagramCommands extends DatagramRequestHandler<WorkerServer> {
  static module = import.meta.url;

  override async handle(): Promise<void> {
    const command = text(this.packet);
    switch (command) {
      case "who":
        return void await this.wfile.write(
          `${this.server.workerId} ${process.pid}`,
        );
      case "held":
        return void await this.wfile.write(
          datagramEndpointOf(this.socket) instanceof RemoteEndpoint
            ? "relayed"
            : "own",
        );
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, 300));
        return void await this.wfile.write("slept");
      case "forever": // waits and never returns, computing nothing
        return void await new Promise(() => {});
      case "throw":
        throw new RangeError("boom in a datagram");
      case "crash":
        setTimeout(() => {
          throw new Error("uncaught in a worker");
        }, 0);
        return void await new Promise(() => {});
      case "hang":
        return spin(60_000);
      default:
        await this.wfile.write(command.toUpperCase());
    }
  }
}

/** Not exported under its own name, so workers cannot find it. */
class Hidden extends StreamRequestHandler {
  static module = import.meta.url;
}
export const HiddenHandler: typeof Hidden = Hidden;
export { Hidden as Renamed };

/** Exported, but without `static module`. */
export class NoModule extends StreamRequestHandler {}
