/**
 * The benchmark's TCP servers: the echo handler, or with `cpu` the
 * CPU-bound one, on a server of the given kind; with `idle`, the echo
 * without a connection cap or idle cut (the idle-memory workload).
 *
 * `WORKERS` in the environment sets the threads or children (default 2).
 *
 *   deno run -A bench/tcp_echo.ts PORT [tcpserver|eventloop|threading|listening|forking|forklistening] [cpu|idle]
 *   bun bench/tcp_echo.ts PORT ...
 *   node bench/tcp_echo.ts PORT ...
 *
 * @module
 */

import process from "node:process";
import { serve } from "./_serve.ts";
import { CpuEcho } from "./cpu_handler.ts";
import { Echo } from "./echo_handler.ts";

const [port, kind = "tcpserver", handler = "echo"] = process.argv.slice(2);
await serve(
  Number(port),
  kind,
  handler === "cpu" ? CpuEcho : Echo,
  Number(process.env.WORKERS ?? 2),
  handler === "idle",
);
