// ForkingMixIn started from a filtered Node test run: `node --test
// --test-name-pattern forks` puts the flag and its value in execArgv as two
// entries; the children must get neither (they once ran "forks" as their
// script).

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import { RUNTIME } from "./_helpers.ts";

const FIXTURE = new URL("./_forks_fixture.ts", import.meta.url).pathname;

describe(`ForkingMixIn under a filtered test run [${RUNTIME}]`, () => {
  it(
    "passes the parent's flags to its children, without the runner's",
    {
      timeout: 60_000,
      ...(RUNTIME === "node" ? {} : {
        skip:
          "--test-name-pattern is Node's test runner flag; Deno and Bun do not start children with their runner's flags",
      }),
    },
    async () => {
      const { code, output } = await new Promise<
        { code: number | null; output: string }
      >((resolve) => {
        // Without the outer runner's context, the inner run reports as text.
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT;
        execFile(
          process.execPath,
          [
            "--test",
            "--test-reporter=tap",
            "--test-name-pattern",
            "forks",
            FIXTURE,
          ],
          { env },
          (error, stdout, stderr) =>
            resolve({
              code: error ? (error as { code?: number }).code ?? 1 : 0,
              output: stdout + stderr,
            }),
        );
      });
      assert.equal(code, 0, output);
      assert.match(output, /# pass 1/);
    },
  );
});
