// A thread pool's bookkeeping on the memory driver, whose threads run in
// this thread: the relay past its window, the least busy worker, a worker
// replaced after it died or hung. The same logic runs with real threads in
// worker_pool_test.ts; here it takes milliseconds and can kill a worker
// at an exact point.

import assert from "node:assert/strict";
import { memoryDriver } from "../adapters/memory/index.ts";
import {
  StreamRequestHandler,
  ThreadingTCPServer,
  WorkerError,
  type WorkerServer,
} from "../mod.ts";
import { collectingErrors, until } from "./_helpers.ts";
import { decoder, encoder, LOCAL, readAll, talk } from "./_memory.ts";
import { describe, it } from "./_testing.ts";

/**
 * Run by the pools below: `echo TEXT` answers with the worker's number and
 * the text; `hold` says which worker holds it, then waits for `release`.
 */
export class Pooled extends StreamRequestHandler<WorkerServer> {
  static module = import.meta.url;
  override async handle(): Promise<void> {
    const me = `worker ${this.server.workerId}`;
    const line = decoder.decode(await this.rfile.readline());
    if (line.startsWith("bulk ")) {
      // Reads that many bytes, then writes them all back.
      const body = await this.rfile.read(Number(line.slice(5)));
      await this.wfile.write(body);
      return;
    }
    if (line.startsWith("hold")) {
      await this.wfile.write(encoder.encode(`${me} holds\n`));
      await this.rfile.readline();
      return;
    }
    await this.wfile.write(encoder.encode(`${me} ${line}`));
  }
}

describe("A thread pool's bookkeeping on the memory driver", () => {
  /** A pool of two in-process threads serving `Pooled`. */
  async function pool(errors: unknown[] = [], handlerTimeout = 2000) {
    const memory = memoryDriver();
    const Server = collectingErrors(ThreadingTCPServer, errors);
    const server = new Server(LOCAL, Pooled, { driver: memory.driver });
    server.poolSize = 2;
    server.handlerTimeout = handlerTimeout;
    await server.ready();
    const serving = server.serveForever({ pollInterval: 10 });
    return {
      ...memory,
      server,
      async [Symbol.asyncDispose]() {
        await server.shutdown();
        await serving;
        await server.serverClose();
      },
    };
  }

  it("relays megabytes both ways, past the relay window", async () => {
    const errors: unknown[] = [];
    await using p = await pool(errors);
    const size = 1 << 20; // four windows of 256 KiB
    const client = await p.network.connect(p.server.serverAddress);
    await client.write(encoder.encode(`bulk ${size}\n`));
    await client.write(new Uint8Array(size).fill(7));
    let got = 0;
    let bytes = 0;
    for (let chunk; (chunk = await client.read()) !== null;) {
      bytes += chunk.length;
      for (const byte of chunk) got += byte;
    }
    client.close();
    assert.equal(bytes, size, "the handler's reply: every byte it read");
    assert.equal(got, 7 * size);
    assert.deepEqual(errors, []);
  });

  it("gives a request to the least busy worker", async () => {
    await using p = await pool();
    const held = await p.network.connect(p.server.serverAddress);
    await held.write(encoder.encode("hold\n"));
    const first = decoder.decode((await held.read())!); // "worker N holds"
    const other = await talk(p.network, p.server.serverAddress, "echo x\n");
    assert.notEqual(first.split(" ")[1], other.split(" ")[1]);
    await held.write(encoder.encode("release\n"));
    await readAll(held);
    held.close();
  });

  it("replaces a worker that dies mid-request and reports its client", async () => {
    const errors: unknown[] = [];
    await using p = await pool(errors);
    const held = await p.network.connect(p.server.serverAddress);
    await held.write(encoder.encode("hold\n"));
    const id = Number(decoder.decode((await held.read())!).split(" ")[1]);
    p.host.threads.find((_, i) => i === id - 1)!.kill();
    assert.equal(await readAll(held), "", "its client was closed");
    held.close();
    assert.ok(await until(() => p.server.activeWorkers === 2, 2000));
    assert.match(
      await talk(p.network, p.server.serverAddress, "echo again\n"),
      /^worker [0-9]+ echo again\n$/,
    );
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof WorkerError);
    assert.match((errors[0] as Error).message, /was killed/);
  });

  it("stops and replaces a worker whose handler runs past handlerTimeout", async () => {
    const errors: unknown[] = [];
    await using p = await pool(errors, 50);
    const hung = await p.network.connect(p.server.serverAddress);
    await hung.write(encoder.encode("hold\n"));
    await hung.read(); // it holds, and never returns
    assert.equal(await readAll(hung), "");
    hung.close();
    assert.ok(await until(() => errors.length === 1, 2000));
    assert.match((errors[0] as Error).message, /handlerTimeout/);
    assert.ok(await until(() => p.server.activeWorkers === 2, 2000));
    assert.match(
      await talk(p.network, p.server.serverAddress, "echo on\n"),
      /^worker [0-9]+ echo on\n$/,
    );
  });
});
