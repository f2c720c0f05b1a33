// node:test's `describe` and `it`, with one difference: on Deno and Bun a
// test skipped with a reason prints that reason (Node's runner prints it
// itself; Deno's says "ignored", Bun's "skip", neither says why).

import { before, describe, it as nodeIt } from "node:test";
import { RUNTIME } from "./_helpers.ts";

export { before, describe };

type Fn = () => void | Promise<void>;
type Options = { skip?: string | boolean; timeout?: number };

/** `it` from node:test; prints the reason of a skip where the runner does not. */
export function it(name: string, fn: Fn): void;
export function it(name: string, options: Options, fn: Fn): void;
export function it(name: string, options: Options | Fn, fn?: Fn): void {
  if (typeof options === "function") return void nodeIt(name, options);
  if (typeof options.skip === "string" && RUNTIME !== "node") {
    console.log(`skipped: ${name}: ${options.skip}`);
  }
  void nodeIt(name, options, fn);
}
