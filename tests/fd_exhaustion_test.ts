// Descriptor exhaustion: a server limited to 256 descriptors (prlimit, from
// outside) gets 400 connections that stay open. Its accept loop must back
// off rather than spin: server CPU stays low while descriptors are gone,
// and a new client is served once they come back.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import { describe, it } from "./_testing.ts";
import { Client, DRIVERS, RUNTIME, sleep } from "./_helpers.ts";
import { Program } from "./_program.ts";

const SERVER = new URL("./_fd_server.ts", import.meta.url);

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may hold spaces: utime, stime.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function canRun(driverName: string): { skip?: string } {
  if (RUNTIME === "deno" && driverName === "node") {
    return {
      skip:
        "Deno's node:net stops accepting for good after one EMFILE, even a bare net.Server (Deno bug); the native Deno driver recovers",
    };
  }
  try {
    execFileSync("prlimit", ["--version"], { stdio: "ignore" });
    return {};
  } catch {
    return { skip: "needs prlimit (util-linux) to lower the server's limit" };
  }
}

/**
 * Opens `count` connections at once and gives them `ms` to connect (those
 * past the server's backlog wait in SYN retries).
 */
async function flood(
  port: number,
  count: number,
  ms: number,
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    sockets.push(socket);
  }
  await sleep(ms);
  return sockets;
}

for (const driver of DRIVERS) {
  describe(`Descriptor exhaustion [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "backs off while no descriptor is left, and serves once they are back",
      { timeout: 60_000, ...canRun(driver.name) },
      async () => {
        await using server = new Program(SERVER, [driver.name]);
        const port = await server.port();
        execFileSync("prlimit", [
          "--pid",
          String(server.pid),
          "--nofile=256:256",
        ]);
        const clients = await flood(port, 400, 1500);
        try {
          // The server is out of descriptors by now.
          const before = cpuSeconds(server.pid);
          await sleep(2000);
          const used = cpuSeconds(server.pid) - before;
          assert.ok(
            used < 0.5,
            `the server used ${used.toFixed(2)} s of CPU in 2 s of exhaustion`,
          );
        } finally {
          for (const socket of clients) socket.destroy();
        }
        // Descriptors come back as the flood leaves: a new client is served.
        const deadline = Date.now() + 10_000;
        let reply = "";
        while (reply !== "back\n" && Date.now() < deadline) {
          const client = await Client.connect(port).catch(() => undefined);
          if (!client) continue;
          try {
            await client.write("back\n");
            reply = await client.readAll(3000).catch(() => "");
          } finally {
            client.close();
          }
        }
        assert.equal(reply, "back\n");
      },
    );
  });
}
