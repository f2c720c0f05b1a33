/**
 * The CPU-bound handler of the benchmark, the peer of
 * `shared/bench/servers/py_cpu.py`: about 1 ms of computing per request,
 * then the request echoed back. The work is plain integer arithmetic, not
 * `node:crypto`, whose per-call cost differs fivefold between runtimes;
 * `WORK_ROUNDS` (default 400,000) sets its length.
 *
 * @module
 */

import process from "node:process";
import { BaseRequestHandler } from "../mod.ts";

const ROUNDS = Number(process.env.WORK_ROUNDS ?? 400_000);

/** Where the result goes, so the loop cannot be optimised away. */
export let sink = 0;

/** The work: a hash-like mix of the request, `ROUNDS` steps long. */
export function work(data: Uint8Array): Uint8Array {
  let x = data.length ^ 0x9e3779b9;
  const n = data.length || 1;
  for (let i = 0; i < ROUNDS; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + (data[i % n] ?? 0);
  }
  sink = x;
  return data;
}

/** Computes, then echoes, every chunk. */
export class CpuEcho extends BaseRequestHandler {
  /** Where worker threads and children find this class. */
  static module = import.meta.url;

  override setup() {
    this.request.setNoDelay(true);
  }

  override async handle() {
    for (;;) {
      const data = await this.request.recv(65536);
      if (data.length === 0) break;
      await this.request.sendall(work(data));
    }
  }
}
