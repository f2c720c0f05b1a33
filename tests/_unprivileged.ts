// Running an attacker as another local user: uid and gid 65534 (nobody)
// through util-linux's setpriv, with the machine's own Node. Only root can
// switch users, so these tests skip, saying why, anywhere else; CI runs as
// root. The attacker scripts are copied to a directory nobody can read.

import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";

export const SETPRIV: string[] = [
  "--reuid",
  "65534",
  "--regid",
  "65534",
  "--clear-groups",
];

/** A Node binary outside this repository, which nobody may run. */
const NODES = ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"];

/**
 * How to run a Node script as nobody here, or why it cannot be done.
 */
export function unprivilegedNode(): { node: string } | { skip: string } {
  if (process.getuid?.() !== 0) {
    return {
      skip:
        "needs root, to run the attacker as another user with setpriv (CI runs as root; a same-user attacker could read the server's memory anyway)",
    };
  }
  for (const node of NODES) {
    try {
      execFileSync("setpriv", [...SETPRIV, node, "-e", "0"], {
        stdio: "ignore",
      });
      return { node };
    } catch {
      // not there, or not runnable by nobody
    }
  }
  return {
    skip:
      "no setpriv, or no Node binary that uid 65534 may run (/usr/bin/node)",
  };
}

/** Whether unprivileged attacks can run here (for `it`'s skip option). */
export function unprivilegedSkip(): { skip?: string } {
  const found = unprivilegedNode();
  return "skip" in found ? { skip: found.skip } : {};
}

/**
 * Starts `script` (a `.mjs` file beside this one) as uid 65534 with `args`;
 * its stdin is a pipe the caller closes to stop it.
 */
export function startUnprivileged(
  script: string,
  args: string[],
): { child: ReturnType<typeof spawn>; cleanup(): void } {
  const found = unprivilegedNode();
  if ("skip" in found) throw new Error(found.skip);
  const dir = mkdtempSync(`${tmpdir()}/ss-attacker-`);
  chmodSync(dir, 0o755);
  const copy = `${dir}/${script}`;
  copyFileSync(new URL(script, import.meta.url), copy);
  chmodSync(copy, 0o644);
  const child = spawn("setpriv", [...SETPRIV, found.node, copy, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  return {
    child,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Reads a child's stdout lines as they come. */
export function lines(child: ReturnType<typeof spawn>): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let text = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    text += chunk;
    for (let end; (end = text.indexOf("\n")) >= 0;) {
      const line = text.slice(0, end);
      text = text.slice(end + 1);
      const wake = waiting.shift();
      if (wake) wake(line);
      else queue.push(line);
    }
  });
  child.stdout!.on("end", () => {
    for (const wake of waiting.splice(0)) wake("");
  });
  return () => {
    const line = queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => waiting.push(resolve));
  };
}

/** The system's Python, which uid 65534 may run, and sets SO_REUSEPORT. */
const PYTHON = "/usr/bin/python3";

/**
 * Tries to join the sockets on a TCP or UDP `port` with `SO_REUSEPORT`, as
 * this user or as uid 65534: "joined", or the errno's name.
 */
export function joinPort(
  type: "tcp" | "udp",
  port: number,
  asNobody: boolean,
): string {
  const script = [
    "import socket, errno",
    `s = socket.socket(socket.AF_INET, socket.${
      type === "tcp" ? "SOCK_STREAM" : "SOCK_DGRAM"
    })`,
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)",
    "try:",
    `    s.bind(("127.0.0.1", ${port})); ${
      type === "tcp" ? "s.listen(1); " : ""
    }print("joined")`,
    "except OSError as e:",
    "    print(errno.errorcode[e.errno])",
    "s.close()",
  ].join("\n");
  const command = asNobody
    ? ["setpriv", ...SETPRIV, PYTHON, "-c", script]
    : [PYTHON, "-c", script];
  return execFileSync(command[0], command.slice(1), { encoding: "utf8" })
    .trim();
}

/** Why the other-user attack on a shared port cannot run here, if it cannot. */
export function otherUserSkip(): string | undefined {
  if (process.getuid?.() !== 0) {
    return "needs root, to run the attacker as another user with setpriv (CI runs as root)";
  }
  return existsSync(PYTHON) && existsSync("/usr/bin/setpriv")
    ? undefined
    : `needs ${PYTHON} and setpriv, to bind as another user`;
}
