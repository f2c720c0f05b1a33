// Starts a real HAProxy (Debian's `haproxy` package) on loopback in front of
// a test server, with a frontend per way of sending the PROXY header.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import process from "node:process";
import { settlesWithin, sleep, tempDir } from "./_helpers.ts";

/** The haproxy binary, or `undefined` where it is not installed. */
export const HAPROXY: string | undefined = [
  ...(process.env.PATH ?? "").split(":"),
  // CI's PATH may leave out sbin, where Debian puts it.
  "/usr/sbin",
  "/usr/local/sbin",
  "/sbin",
].filter((dir) => dir !== "").map((dir) => `${dir}/haproxy`).find((path) =>
  existsSync(path)
);

/** Why the HAProxy tests skip, or `undefined` when they can run. */
export const haproxySkip: string | undefined = HAPROXY === undefined
  ? "haproxy is not installed (Debian: apt-get install haproxy; .ci/run installs it)"
  : undefined;

/** A frontend: where HAProxy listens, and how it tells the backend. */
export interface Frontend {
  host: "127.0.0.1" | "::1";
  send: "send-proxy" | "send-proxy-v2";
  /** Add HAProxy's health checks (which send their own PROXY header). */
  check?: boolean;
}

/** A free port now (the kernel's pick); HAProxy binds it next. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A running HAProxy: the port of each frontend, in the order given. */
export class HAProxy implements AsyncDisposable {
  readonly ports: number[];
  output = "";
  #child: ChildProcess;
  #exited: Promise<unknown>;
  #dir: { path: string; remove(): void };

  private constructor(
    child: ChildProcess,
    ports: number[],
    dir: { path: string; remove(): void },
  ) {
    this.#child = child;
    this.ports = ports;
    this.#dir = dir;
    this.#exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdout!.setEncoding("utf8").on("data", (t) => this.output += t);
    child.stderr!.setEncoding("utf8").on("data", (t) => this.output += t);
  }

  /**
   * Starts HAProxy with `frontends`, all relaying to `backendPort` on
   * 127.0.0.1, and resolves once every frontend accepts connections. The
   * ports are picked free just before; if HAProxy loses one to another
   * process, it tries again with new ones.
   */
  static start(
    frontends: Frontend[],
    backendPort: number,
  ): Promise<HAProxy> {
    return HAProxy.startWith(
      frontends,
      (ports) => configText(frontends, ports, backendPort),
    );
  }

  /**
   * Starts HAProxy with the configuration `config` writes for the ports
   * picked for `frontends`, as {@linkcode HAProxy.start} does.
   */
  static async startWith(
    frontends: { host: "127.0.0.1" | "::1" }[],
    config: (ports: number[]) => string,
  ): Promise<HAProxy> {
    let failure = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      const ports: number[] = [];
      for (const { host } of frontends) ports.push(await freePort(host));
      const dir = tempDir();
      const file = `${dir.path}/haproxy.cfg`;
      writeFileSync(file, config(ports));
      const proxy = new HAProxy(
        spawn(HAPROXY!, ["-db", "-f", file], {
          stdio: ["ignore", "pipe", "pipe"],
        }),
        ports,
        dir,
      );
      if (await proxy.#listening(frontends)) return proxy;
      failure = proxy.output;
      await proxy.stop();
    }
    throw new Error(`haproxy did not start:\n${failure}`);
  }

  async #listening(
    frontends: { host: "127.0.0.1" | "::1" }[],
  ): Promise<boolean> {
    let exited = false;
    this.#exited.then(() => exited = true);
    const deadline = Date.now() + 5000;
    for (let i = 0; i < frontends.length;) {
      if (exited || Date.now() > deadline) return false;
      if (await canConnect(this.ports[i], frontends[i].host)) i++;
      else await sleep(50);
    }
    return true;
  }

  async stop(): Promise<void> {
    this.#child.kill("SIGTERM");
    if (!await settlesWithin(this.#exited, 5000)) this.#child.kill("SIGKILL");
    await this.#exited;
    this.#dir.remove();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

function configText(
  frontends: Frontend[],
  ports: number[],
  backendPort: number,
): string {
  const lines = [
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
  ];
  frontends.forEach(({ host, send, check }, i) => {
    lines.push(
      `frontend f${i}`,
      `  bind [${host}]:${ports[i]}`,
      `  default_backend b${i}`,
      `backend b${i}`,
      // A check that sends a line and waits for the answer, so HAProxy
      // closes it only after the server has read the header.
      ...(check
        ? [
          "  option tcp-check",
          "  tcp-check send-binary 636865636b0a", /* "check\\n" */
          "  tcp-check expect rstring check",
        ]
        : []),
      `  server s 127.0.0.1:${backendPort} ${send}${
        check ? " check inter 100" : ""
      }`,
    );
  });
  return lines.join("\n") + "\n";
}
