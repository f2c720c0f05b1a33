// Run by tests/skip_reason_test.ts with this runtime's test runner: one
// test skipped with a reason, which the run's output must show.

import { it } from "./_testing.ts";

it("is skipped", { skip: "the reason to show" }, () => {
  throw new Error("a skipped test ran");
});
