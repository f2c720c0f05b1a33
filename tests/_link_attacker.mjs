// A hostile local user against a forking server's worker links, run as
// another user by tests/worker_link_test.ts. It watches /proc for the
// server's children and their command lines, and connects to every new
// loopback listener, sending a hello with any token a command line showed
// (or a guess), and opening a second connection that stays silent. It
// prints what it got when its stdin closes.
// Arguments: ports to leave alone (the server's own).

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as net from "node:net";

const exclude = new Set(process.argv.slice(2).map(Number));
const children = new Map(); // pid -> arguments after the child entry
const tried = new Set();
const sockets = [];
let connections = 0;
let bytes = 0;
let token = "0".repeat(32);

function frame(message) {
  const json = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(json.length, 0);
  header.writeUInt32BE(0xffffffff, 4);
  return Buffer.concat([header, json]);
}

function watchChildren() {
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || children.has(pid)) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const entry = argv.findIndex((arg) =>
      /(_node|bun)\/child\.(ts|js)$/.test(arg)
    );
    if (entry < 0) continue;
    const rest = argv.slice(entry + 1).filter((arg) => arg !== "");
    children.set(pid, rest);
    process.stdout.write(`child ${pid}\n`);
    if (rest.length >= 2) token = rest[1];
  }
}

/**
 * Listening TCP ports. `ss` asks the kernel for listeners only; reading
 * /proc/net/tcp instead takes long once earlier tests left thousands of
 * TIME_WAIT entries there, and a link's listener lives only ~100 ms.
 */
let hasSs = true;
function listeners() {
  if (hasSs) {
    try {
      const text = execFileSync("ss", ["-Hltn"], { encoding: "utf8" });
      return text.split("\n").flatMap((line) => {
        const local = line.trim().split(/\s+/)[3] ?? "";
        const port = Number(local.slice(local.lastIndexOf(":") + 1));
        return port > 0 ? [port] : [];
      });
    } catch {
      hasSs = false;
    }
  }
  const ports = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== "0A") continue; // LISTEN
      ports.push(parseInt(fields[1].split(":")[1], 16));
    }
  }
  return ports;
}

function attack(port) {
  tried.add(port);
  const socket = net.connect(port, "127.0.0.1", () => {
    connections++;
    process.stdout.write(`attacked ${port}\n`);
    socket.write(frame({ t: "hello", token }));
  });
  // A second connection that says nothing, to hold the link's check up.
  const silent = net.connect(port, "127.0.0.1");
  for (const each of [socket, silent]) {
    each.on("data", (chunk) => bytes += chunk.length);
    each.on("error", () => {});
    sockets.push(each);
  }
}

// Ports listening before the server started are not the server's.
for (const port of listeners()) tried.add(port);
// Listeners first: a link's listener lives only while its child starts.
const timer = setInterval(() => {
  for (const port of listeners()) {
    if (!tried.has(port) && !exclude.has(port)) attack(port);
  }
  watchChildren();
}, 2);
process.stdout.write("watching\n");
process.stdin.resume();
process.stdin.on("end", () => {
  clearInterval(timer);
  for (const socket of sockets) socket.destroy();
  process.stdout.write(
    JSON.stringify({
      children: children.size,
      commandLines: [...children.values()],
      connections,
      bytes,
    }) + "\n",
  );
  process.exit(0);
});
