// A test skipped with a reason says why, on every runtime's runner: Node's
// prints the reason itself, and tests/_testing.ts prints it on Deno and Bun.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { RUNTIME } from "./_helpers.ts";
import { describe, it } from "./_testing.ts";

const FIXTURE = fileURLToPath(new URL("./_skip_fixture.ts", import.meta.url));

/** This runtime's test runner, on the fixture alone. */
function runFixture(): string {
  const [exe, args] = RUNTIME === "deno"
    ? [process.execPath, ["test", "-A", FIXTURE]]
    : RUNTIME === "bun"
    ? [process.execPath, ["test", FIXTURE]]
    : [process.execPath, ["--test", FIXTURE]];
  // Node's runner, seeing NODE_TEST_CONTEXT, would report to this one.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return execFileSync(exe, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...env, NO_COLOR: "1" },
  });
}

describe(`skip reasons [${RUNTIME}]`, () => {
  it("a skipped test prints its reason", { timeout: 60_000 }, () => {
    let output: string;
    try {
      output = runFixture();
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`the runner failed:\n${stdout}\n${stderr}`);
    }
    assert.match(output, /the reason to show/);
  });
});
