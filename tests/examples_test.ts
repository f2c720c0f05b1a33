// Every program in examples/ runs as a user runs it (a child process of
// this runtime: `deno run -A`, `bun`, `node`) and is driven by a real
// client, so none of them rots.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import { Program } from "./_program.ts";
import {
  Client,
  connectUnix,
  exchange,
  LIMIT,
  RUNTIME,
  settlesWithin,
  tempDir,
  UdpClient,
} from "./_helpers.ts";

const EXAMPLES = new URL("../examples/", import.meta.url);

/** Runs `examples/<file>` as a user would. */
class Example extends Program {
  constructor(file: string, args: string[] = [], input?: string) {
    super(new URL(file, EXAMPLES), args, input);
  }
}

describe(`examples on ${RUNTIME}`, LIMIT, () => {
  it("echo_server: Hello comes back, and the connection is logged", async () => {
    await using server = new Example("echo_server.ts", ["0"]);
    const client = await Client.connect(await server.port());
    try {
      await client.write("Hello");
      assert.equal(await client.readUntil("Hello"), "Hello");
    } finally {
      client.close();
    }
    await server.waitFor(/Got connection from 127\.0\.0\.1:\d+/);
    assert.equal(await server.stop(), 0);
  });

  it("line_echo_server: each line comes back", async () => {
    await using server = new Example("line_echo_server.ts", ["0"]);
    const port = await server.port();
    assert.equal(await exchange(port, "one\ntwo\n"), "one\ntwo\n");
  });

  it("timestamp_server and timestamp_client: the line comes back with the time", async () => {
    await using server = new Example("timestamp_server.ts", ["0"]);
    const port = String(await server.port());
    await using client = new Example(
      "timestamp_client.ts",
      [port, "127.0.0.1"],
      "hello\nworld\n\n",
    );
    assert.equal(await client.exited(), 0);
    const stamp = String.raw`\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]`;
    assert.match(client.output, new RegExp(`${stamp} hello\\n`));
    assert.match(client.output, new RegExp(`${stamp} world\\n`));
    await server.waitFor(/connected from 127\.0\.0\.1:\d+\n[^]*connected from/);
  });

  for (const fork of [false, true]) {
    it(`threaded_echo_server${fork ? " --fork" : ""}: three clients at once`, async () => {
      await using server = new Example(
        "threaded_echo_server.ts",
        fork ? ["0", "--fork"] : ["0"],
      );
      const port = await server.port();
      const replies = await Promise.all(
        [1, 2, 3].map((n) => exchange(port, `client ${n}`)),
      );
      assert.deepEqual(replies, ["client 1", "client 2", "client 3"]);
      await server.waitFor(/worker \d+: connection from 127\.0\.0\.1/);
      assert.equal(await server.stop(), 0);
    });
  }

  it("threaded_clients: three answers from workers, then it exits", async () => {
    await using program = new Example("threaded_clients.ts");
    assert.equal(await program.exited(), 0, program.output);
    for (const n of [1, 2, 3]) {
      assert.match(
        program.output,
        new RegExp(`Received: Worker-\\d+: Hello World ${n}\\n`),
      );
    }
  });

  it("worker_pool: the loops bound how many clients are served at once", async () => {
    await using server = new Example("worker_pool.ts", ["0", "2"]);
    const port = await server.port();
    // Two idle clients hold both loops; a third waits until one leaves.
    const holders = await Promise.all([1, 2].map(() => Client.connect(port)));
    const third = await Client.connect(port);
    try {
      for (const holder of holders) {
        await holder.write("hi");
        await holder.readUntil("hi");
      }
      await third.write("waiting");
      const answer = third.readUntil("waiting");
      assert.equal(await settlesWithin(answer, 300), false);
      holders[0].close();
      assert.equal(await answer, "waiting");
    } finally {
      for (const client of [...holders, third]) client.close();
    }
  });

  it("reuse_address: binds by hand, serves, and binds again at once", async () => {
    let port = 0;
    {
      await using server = new Example("reuse_address.ts", ["0"]);
      port = await server.port();
      // The server closes first, so its side of this connection is in
      // TIME_WAIT when the next one binds.
      assert.equal(await exchange(port, "first\n"), "first\n");
      assert.equal(await server.stop(), 0);
    }
    await using again = new Example("reuse_address.ts", [String(port)]);
    assert.equal(await again.port(), port);
    assert.equal(await exchange(port, "second\n"), "second\n");
  });

  it("handler_settings: a silent client is timed out", async () => {
    await using server = new Example("handler_settings.ts", ["0", "200"]);
    const client = await Client.connect(await server.port());
    try {
      await server.waitFor(/Timed out!/);
      assert.ok(await client.closedWithin(5000));
    } finally {
      client.close();
    }
  });

  it("udp_time_server: a datagram gets the time back", async () => {
    await using server = new Example("udp_time_server.ts", ["0"]);
    const port = await server.port();
    const client = await UdpClient.open();
    try {
      await client.send("hi\n", port);
      assert.match(
        await client.receiveText(),
        /^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hi$/,
      );
    } finally {
      client.close();
    }
    await server.waitFor(/hi from 127\.0\.0\.1:\d+/);
  });

  it("unix_echo_server: lines come back over the socket file", async () => {
    const dir = tempDir();
    try {
      const path = `${dir.path}/echo.sock`;
      await using server = new Example("unix_echo_server.ts", [path]);
      await server.waitFor(/listening on /);
      const client = await connectUnix(path);
      try {
        await client.write("over unix\n");
        assert.equal(await client.readUntil("\n"), "over unix\n");
      } finally {
        client.close();
      }
      assert.equal(await server.stop(), 0);
    } finally {
      dir.remove();
    }
  });
});
