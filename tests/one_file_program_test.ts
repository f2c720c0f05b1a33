// A one-file program (handler and server at the top level of one module,
// as Python's examples are) on ThreadingTCPServer and ForkingTCPServer: the
// workers import the module for the handler and must not start servers of
// their own. It serves, starts exactly its pool, and stops on Ctrl-C.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "./_testing.ts";
import { exchange, RUNTIME, sleep } from "./_helpers.ts";
import { Program } from "./_program.ts";

const PROGRAM = new URL("./_one_file_server.ts", import.meta.url);

/** Threads of a process (Linux). */
function threadCount(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
}

for (const kind of ["threads", "processes"] as const) {
  describe(`A one-file program on ${kind} [${RUNTIME}]`, () => {
    it(
      "serves from its workers, which start no servers",
      { timeout: 60_000 },
      async () => {
        await using program = new Program(PROGRAM, [kind]);
        const port = await program.port();
        const reply = await exchange(port, "there\n");
        assert.match(reply, /^hello there from pid \d+\n$/);
        const threads = threadCount(program.pid);
        await sleep(1000);
        // A runaway would keep starting workers, each with its own pool.
        assert.ok(
          threadCount(program.pid) <= threads + 2,
          `threads grew from ${threads}`,
        );
        assert.equal(
          program.output.match(/listening on/g)?.length,
          1,
          program.output,
        );
        assert.equal(await program.stop(), 0, program.output);
      },
    );
  });
}
