// What a server and its web Worker threads send each other goes in batches
// (src/pool/batch.ts). The pool tests run it over real threads and
// sockets; these pin down its rules without them.

import assert from "node:assert/strict";
import { Batcher, endOfMicrotasks, unbatch } from "../src/pool/batch.ts";
import { endOfTurn } from "../adapters/_shared/batch.ts";
import { describe, it } from "./_testing.ts";

type Posted = { message: unknown; transfer: ArrayBuffer[] };

function recording(schedule = endOfTurn): [Batcher, Posted[]] {
  const posted: Posted[] = [];
  const batcher = new Batcher(
    (message, transfer) => posted.push({ message, transfer }),
    schedule,
  );
  return [batcher, posted];
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 5));

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
});
