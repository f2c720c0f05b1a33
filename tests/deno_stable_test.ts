// Deno without --unstable-net: UDP falls back to node:dgram, and what has
// no fallback (Unix datagram sockets, reusePort) is refused with a clear
// error instead of Deno ending the process. The suite itself runs with the
// flag (deno.json), so this spawns a Deno without the config.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import process from "node:process";
import { describe, it } from "./_testing.ts";
import { fileURLToPath } from "node:url";
import { RUNTIME } from "./_helpers.ts";

const script = `
import { createSocket } from "node:dgram";
import { DatagramRequestHandler, NotSupportedError, TCPServer, UDPServer, UnixDatagramServer } from ${
  JSON.stringify(new URL("../mod.ts", import.meta.url).href)
};
class Echo extends DatagramRequestHandler {
  override async handle() { await this.wfile.write(this.packet); }
}
const out: Record<string, unknown> = {
  listenDatagram: typeof (globalThis as any).Deno.listenDatagram,
};
await using server = new UDPServer({ hostname: "127.0.0.1", port: 0 }, Echo);
await server.ready();
const client = createSocket("udp4");
const reply = new Promise<string>((r) => client.once("message", (m) => r(String(m))));
client.send("stable", server.serverAddress.port, "127.0.0.1");
await server.handleRequest();
out.echo = await reply;
client.close();
try {
  new UnixDatagramServer({ path: "/tmp/never.sock" }, Echo);
} catch (e) {
  out.unixDatagram = e instanceof NotSupportedError && /--unstable-net/.test(String(e));
}
const tcp = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { bindAndActivate: false });
tcp.allowReusePort = true;
out.reusePort = await tcp.serverBind().then(() => "bound", (e) => e instanceof NotSupportedError);
await tcp.serverClose();
console.log(JSON.stringify(out));
`;

describe(`Deno without --unstable-net [${RUNTIME}]`, () => {
  it(
    "serves UDP through node:dgram and refuses what needs the flag",
    {
      timeout: 30_000,
      ...(RUNTIME === "deno" ? {} : {
        skip: "about Deno's unstable flag; Bun and Node have no such flag",
      }),
    },
    () => {
      const dir = fileURLToPath(new URL(".", import.meta.url));
      const output = execFileSync(
        process.execPath,
        ["run", "--no-config", "--ext=ts", "-A", "-"],
        { input: script, cwd: dir, encoding: "utf8", timeout: 25_000 },
      );
      assert.deepEqual(JSON.parse(output.trim().split("\n").pop()!), {
        listenDatagram: "undefined",
        echo: "stable",
        unixDatagram: true,
        reusePort: true,
      });
    },
  );
});
