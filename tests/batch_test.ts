// What a server and its web Worker threads send each other goes in batches
// (src/pool/batch.ts). The pool tests run it over real threads and
// sockets; these pin down its rules without them.

import assert from "node:assert/strict";
import { setImmediate } from "node:timers";
import { Batcher, endOfMicrotasks, unbatch } from "../src/pool/batch.ts";
import { endOfTurn } from "../adapters/_shared/batch.ts";
import { describe, it } from "./_testing.ts";

type Posted = { message: unknown; transfer: ArrayBuffer[] };

function recording(
  schedule = endOfTurn,
  packBytes = false,
): [Batcher, Posted[]] {
  const posted: Posted[] = [];
  const batcher = new Batcher(
    (message, transfer) => posted.push({ message, transfer }),
    schedule,
    packBytes,
  );
  return [batcher, posted];
}

function received(post: Posted): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  unbatch(post.message, (m: Record<string, unknown>) => out.push(m));
  return out;
}

// A timer, then an immediate: a busy start can fire a 5 ms timer before
// the immediate endOfTurn queued (Node runs timers first in a loop turn).
const turn = () =>
  new Promise((resolve) => setTimeout(resolve, 5)).then(() =>
    new Promise((resolve) => setImmediate(resolve))
  );

describe("Batcher", () => {
  it("posts what one turn sends as one array, in order, with every transfer", async () => {
    const [batcher, posted] = recording();
    const a = new ArrayBuffer(1), b = new ArrayBuffer(2);
    batcher.send({ t: "data", n: 1 }, [a]);
    batcher.send({ t: "eof" });
    batcher.send({ t: "data", n: 2 }, [b]);
    assert.equal(posted.length, 0, "nothing before the turn ends");
    await turn();
    assert.equal(posted.length, 1);
    assert.deepEqual(posted[0].transfer, [a, b]);
    const received: unknown[] = [];
    unbatch(posted[0].message, (m) => received.push(m));
    assert.deepEqual(received, [
      { t: "data", n: 1 },
      { t: "eof" },
      { t: "data", n: 2 },
    ]);
  });

  it("posts a lone message as itself, and the next turn's apart", async () => {
    const [batcher, posted] = recording();
    batcher.send({ t: "one" });
    await turn();
    batcher.send({ t: "two" });
    await turn();
    assert.deepEqual(posted.map((p) => p.message), [{ t: "one" }, {
      t: "two",
    }]);
  });

  it("a worker's batch leaves before the code after its await computes", async () => {
    const [batcher, posted] = recording(endOfMicrotasks);
    batcher.send({ t: "write" });
    await Promise.resolve(); // the handler's `await sendall()`
    // A computing handler never yields to the event loop from here on.
    assert.equal(posted.length, 1);
  });

  it("drops what waits once cleared (the worker is gone)", async () => {
    const [batcher, posted] = recording();
    batcher.send({ t: "lost" });
    batcher.clear();
    await turn();
    assert.equal(posted.length, 0);
    batcher.send({ t: "later" });
    await turn();
    assert.deepEqual(posted.map((p) => p.message), [{ t: "later" }]);
  });

  it("copies a data message's bytes as it is sent, so the sender may reuse them", async () => {
    for (const packBytes of [false, true]) {
      const [batcher, posted] = recording(endOfTurn, packBytes);
      const reused = new Uint8Array([1, 2, 3]);
      batcher.send({ t: "data", id: 7, bytes: reused });
      reused.fill(9);
      await turn();
      const [message] = received(posted[0]);
      assert.deepEqual(message.bytes, new Uint8Array([1, 2, 3]));
      for (const buffer of posted[0].transfer) {
        assert.notEqual(
          buffer,
          reused.buffer,
          "never moves the caller's buffer",
        );
      }
    }
  });
});

describe("Batcher packing bytes for threads", () => {
  it("moves the bytes of a turn's small data and writes in one buffer, in order with the rest", async () => {
    const [batcher, posted] = recording(endOfTurn, true);
    const other = new ArrayBuffer(4);
    batcher.send({ t: "open", id: 1 });
    batcher.send({ t: "data", id: 1, bytes: new Uint8Array([1]) });
    batcher.send({ t: "write", id: 2 ** 40, bytes: new Uint8Array([2, 2]) });
    batcher.send({ t: "eof", id: 1 });
    batcher.send({ t: "data", id: 3, bytes: new Uint8Array(0) });
    batcher.send({ t: "packet", id: 4, bytes: new Uint8Array(other) }, [other]);
    await turn();
    assert.equal(posted.length, 1);
    assert.equal(posted[0].transfer.length, 2, "the payload and the packet");
    assert.deepEqual(received(posted[0]), [
      { t: "open", id: 1 },
      { t: "data", id: 1, bytes: new Uint8Array([1]) },
      { t: "write", id: 2 ** 40, bytes: new Uint8Array([2, 2]) },
      { t: "eof", id: 1 },
      { t: "data", id: 3, bytes: new Uint8Array(0) },
      { t: "packet", id: 4, bytes: new Uint8Array(4) },
    ]);
  });

  it("sends a large chunk in a buffer of its own", async () => {
    const [batcher, posted] = recording(endOfTurn, true);
    const big = new Uint8Array(100_000).fill(5);
    batcher.send({ t: "write", id: 1, bytes: big });
    await turn();
    const [message] = received(posted[0]);
    assert.deepEqual(message.bytes, big);
    assert.deepEqual(posted[0].transfer, [
      (message.bytes as Uint8Array).buffer,
    ]);
  });

  it("posts early rather than let one buffer grow past 64 KiB", async () => {
    const [batcher, posted] = recording(endOfTurn, true);
    const chunk = new Uint8Array(4000);
    for (let id = 0; id < 40; id++) {
      chunk.fill(id);
      batcher.send({ t: "data", id, bytes: chunk });
    }
    await turn();
    assert.ok(posted.length >= 3, `${posted.length} posts for 160 KB`);
    const all = posted.flatMap(received);
    assert.deepEqual(all.map((m) => m.id), [...Array(40).keys()]);
    for (const m of all) {
      const bytes = m.bytes as Uint8Array;
      assert.equal(bytes.length, 4000);
      assert.ok(bytes.every((b) => b === m.id), `chunk ${m.id} intact`);
      assert.ok(bytes.buffer.byteLength <= 64 * 1024, "payload stays small");
    }
  });
});
