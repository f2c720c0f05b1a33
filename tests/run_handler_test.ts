// The handler's life cycle as runHandler drives it (a promise chain, not an
// async function, so that an idle client costs less): Python's order and
// its try/finally, for synchronous and asynchronous hooks alike. No socket:
// the request is a plain value.

import assert from "node:assert/strict";
import { BaseRequestHandler } from "../mod.ts";
import { runHandler } from "../src/handler/run_handler.ts";
import { describe, it } from "./_testing.ts";

type Hook = "setup" | "handle" | "finish";

/** A handler class whose hooks log, and throw or reject where asked. */
function scripted(
  log: string[],
  plan: Partial<Record<Hook, "throw" | "reject" | "async">>,
) {
  const run = (hook: Hook): void | Promise<void> => {
    log.push(hook);
    const step = plan[hook];
    if (step === "throw") throw new Error(hook);
    if (step === "reject") return Promise.reject(new Error(hook));
    if (step === "async") {
      return new Promise((resolve) => setTimeout(resolve, 1)).then(() => {
        log.push(`${hook} done`);
      });
    }
  };
  return class extends BaseRequestHandler<string, string, null> {
    override setup() {
      return run("setup");
    }
    override handle() {
      return run("handle");
    }
    override finish() {
      return run("finish");
    }
  };
}

async function outcome(
  Handler: ReturnType<typeof scripted>,
): Promise<string> {
  try {
    await runHandler(Handler, "request", "address", null);
    return "resolved";
  } catch (error) {
    return `rejected: ${(error as Error).message}`;
  }
}

describe("runHandler", () => {
  it("runs setup, handle and finish in order, waiting for each", async () => {
    const log: string[] = [];
    const Handler = scripted(log, {
      setup: "async",
      handle: "async",
      finish: "async",
    });
    assert.equal(await outcome(Handler), "resolved");
    assert.deepEqual(log, [
      "setup",
      "setup done",
      "handle",
      "handle done",
      "finish",
      "finish done",
    ]);
  });

  for (const how of ["throw", "reject"] as const) {
    it(`skips handle and finish when setup ${how}s`, async () => {
      const log: string[] = [];
      assert.equal(
        await outcome(scripted(log, { setup: how })),
        "rejected: setup",
      );
      assert.deepEqual(log, ["setup"]);
    });

    it(`runs finish when handle ${how}s, then fails with handle's error`, async () => {
      const log: string[] = [];
      assert.equal(
        await outcome(scripted(log, { handle: how, finish: "async" })),
        "rejected: handle",
      );
      assert.deepEqual(log, ["setup", "handle", "finish", "finish done"]);
    });

    it(`fails with finish's error when finish ${how}s, as finally does`, async () => {
      const log: string[] = [];
      assert.equal(
        await outcome(scripted(log, { handle: "throw", finish: how })),
        "rejected: finish",
      );
      assert.equal(
        await outcome(scripted([], { finish: how })),
        "rejected: finish",
      );
      assert.deepEqual(log, ["setup", "handle", "finish"]);
    });
  }

  it("calls a plain function once, and fails with what it throws", async () => {
    const calls: unknown[][] = [];
    await runHandler(
      (...args: unknown[]) => {
        calls.push(args);
      },
      "request",
      "address",
      null,
    );
    assert.deepEqual(calls, [["request", "address", null]]);
    await assert.rejects(
      runHandler(
        () => {
          throw new Error("sync");
        },
        "request",
        "address",
        null,
      ),
      /sync/,
    );
    await assert.rejects(
      runHandler(() => Promise.reject(new Error("async")), "r", "a", null),
      /async/,
    );
  });

  it("returns a promise even when every hook is synchronous", () => {
    const running = runHandler(scripted([], {}), "r", "a", null);
    assert.ok(running instanceof Promise);
    return running;
  });
});
