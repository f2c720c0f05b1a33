// Runs a TypeScript program in a child process of this runtime (`deno run
// -A`, `bun`, `node`), as a user would, and watches its output.

import { spawn } from "node:child_process";
import process from "node:process";
import { RUNTIME, settlesWithin } from "./_helpers.ts";

/** The command line that runs a TypeScript file on this runtime. */
function command(file: URL, args: string[]): [string, string[]] {
  const path = file.pathname;
  if (RUNTIME === "deno") {
    // deno-lint-ignore no-explicit-any
    const deno = (globalThis as any).Deno;
    return [deno.execPath(), ["run", "-A", path, ...args]];
  }
  return [process.execPath, [path, ...args]];
}

/** A child process: its output as text, its exit code, and a way to signal it. */
interface Child {
  pid: number;
  exited: Promise<number | null>;
  kill(signal: "SIGINT" | "SIGTERM" | "SIGKILL"): void;
}

/**
 * Starts `exe` with node:child_process, or with `Deno.Command` on Deno:
 * Deno's node:child_process reports a child that handled SIGINT and exited
 * with 0 as killed by SIGINT, which would hide a graceful shutdown.
 */
function start(
  exe: string,
  argv: string[],
  input: string | undefined,
  onText: (text: string) => void,
): Child {
  if (RUNTIME === "deno") {
    // deno-lint-ignore no-explicit-any
    const deno = (globalThis as any).Deno;
    const child = new deno.Command(exe, {
      args: argv,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: onText }),
      );
    }
    const writer = child.stdin.getWriter();
    (input === undefined ? Promise.resolve() : writer.write(
      new TextEncoder().encode(input),
    )).then(() => writer.close()).catch(() => {});
    return {
      pid: child.pid,
      exited: child.status.then((
        status: { code: number; signal: string | null },
      ) => status.signal === null ? status.code : null),
      kill: (signal) => {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      },
    };
  }
  const child = spawn(exe, argv, { stdio: ["pipe", "pipe", "pipe"] });
  child.stdout!.setEncoding("utf8").on("data", onText);
  child.stderr!.setEncoding("utf8").on("data", onText);
  child.stdin!.end(input);
  return {
    pid: child.pid ?? -1,
    exited: new Promise((resolve) => child.once("exit", resolve)),
    kill: (signal) => child.kill(signal),
  };
}

/** A running program: its output so far, and ways to wait on it. */
export class Program implements AsyncDisposable {
  output = "";
  #child: Child;
  #exitCode: number | null | undefined;

  /**
   * @param file The TypeScript file to run.
   * @param args Its arguments.
   * @param input What it reads on standard input (then end of input).
   */
  constructor(file: URL, args: string[] = [], input?: string) {
    const [exe, argv] = command(file, args);
    this.#child = start(exe, argv, input, (text) => this.output += text);
    this.#child.exited.then((code) => this.#exitCode = code);
  }

  /** Waits until the output matches `pattern`; returns the match. */
  async waitFor(pattern: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (this.#exitCode !== undefined || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** The port from the program's "listening on host:port" line. */
  async port(): Promise<number> {
    const [, port] = await this.waitFor(/listening on \S*:(\d+)\n/);
    return Number(port);
  }

  /** The exit code, once it exits by itself (`null` if a signal killed it). */
  exited(): Promise<number | null> {
    return this.#child.exited;
  }

  /** Sends `signal`, as Ctrl-C (`SIGINT`) or `kill` (`SIGTERM`) would. */
  signal(signal: "SIGINT" | "SIGTERM"): void {
    if (this.#exitCode === undefined) this.#child.kill(signal);
  }

  /** Ctrl-C, as a user stops a server; it shuts down and exits. */
  async stop(): Promise<number | null> {
    if (this.#exitCode === undefined) this.#child.kill("SIGINT");
    if (!await settlesWithin(this.#child.exited, 5000)) {
      this.#child.kill("SIGKILL");
    }
    return this.#child.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
