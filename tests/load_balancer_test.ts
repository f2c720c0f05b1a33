// Past one machine: two server processes behind a real HAProxy (round
// robin, health checks, retries, redispatch). A steady stream of requests
// goes through it while one server is stopped with SIGTERM and started
// again; every request must be answered exactly once.

import assert from "node:assert/strict";
import * as net from "node:net";
import { describe, it } from "node:test";
import { RUNTIME, sleep } from "./_helpers.ts";
import { freePort, HAProxy, haproxySkip } from "./_haproxy.ts";
import { Program } from "./_program.ts";

const SERVER = new URL("./_lb_server.ts", import.meta.url);

/** The configuration the README's "Behind a load balancer" shows. */
export function loadBalancerConfig(
  port: number,
  backends: number[],
): string {
  return [
    "defaults",
    "  mode tcp",
    "  timeout connect 1s",
    "  timeout client 10s",
    "  timeout server 10s",
    "  retries 3",
    "  option redispatch",
    "frontend app",
    `  bind 127.0.0.1:${port}`,
    "  default_backend servers",
    "backend servers",
    "  balance roundrobin",
    "  option tcp-check",
    '  tcp-check send "check\\n"',
    "  tcp-check expect string check",
    ...backends.map((backend, i) =>
      `  server s${i} 127.0.0.1:${backend} check inter 100 fall 1 rise 1`
    ),
  ].join("\n") + "\n";
}

/** One request on its own connection: the reply line, or "" if none. */
function ask(port: number, id: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(
      port,
      "127.0.0.1",
      () => socket.write(`req${id}\n`),
    );
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => reply += chunk);
    socket.on("error", () => {});
    socket.on("close", () => resolve(reply));
    socket.setTimeout(10_000, () => socket.destroy());
  });
}

describe(`Behind a load balancer [${RUNTIME}]`, () => {
  it(
    "answers every request exactly once while a server stops and restarts",
    { timeout: 90_000, skip: haproxySkip },
    async () => {
      const backends = [
        await freePort("127.0.0.1"),
        await freePort("127.0.0.1"),
      ];
      const a1 = new Program(SERVER, [String(backends[0]), "a"]);
      const b = new Program(SERVER, [String(backends[1]), "b"]);
      let a2: Program | undefined;
      await a1.port();
      await b.port();
      await using proxy = await HAProxy.startWith(
        [{ host: "127.0.0.1" }],
        ([port]) => loadBalancerConfig(port, backends),
      );
      const port = proxy.ports[0];
      const replies = new Map<number, string>();
      const t0 = Date.now();
      const sentAt = new Map<number, number>();
      const events: string[] = [];
      let next = 0;
      let sending = true;
      // Four clients, one request per connection each, back to back.
      const clients = Array.from({ length: 4 }, async () => {
        while (sending) {
          const id = next++;
          sentAt.set(id, Date.now() - t0);
          replies.set(id, await ask(port, id));
        }
      });
      try {
        await sleep(1000);
        events.push(`SIGTERM at ${Date.now() - t0} ms`);
        a1.signal("SIGTERM");
        assert.equal(await a1.exited(), 0, a1.output);
        events.push(`a exited at ${Date.now() - t0} ms`);
        await sleep(1000);
        a2 = new Program(SERVER, [String(backends[0]), "a"]);
        await a2.port();
        events.push(`a again at ${Date.now() - t0} ms`);
        await sleep(1500);
      } finally {
        sending = false;
        await Promise.all(clients);
      }
      await a2?.stop();
      await b.stop();
      const served = [a1, a2!, b].flatMap((program) =>
        [...program.output.matchAll(/^served req(\d+)$/gm)].map((m) => +m[1])
      );
      const lost = [...replies].filter(([id, reply]) =>
        reply !== `req${id} a\n` && reply !== `req${id} b\n`
      );
      const described = lost.map(([id]) => `req${id} at ${sentAt.get(id)} ms`);
      const why = `unanswered: ${described.join(", ")} (${
        events.join(", ")
      }); HAProxy said:\n${proxy.output}`;
      if (RUNTIME === "deno") {
        // Deno.Listener.close() drops the connection a pending accept() was
        // taking at that instant, unseen by the server: a stop can lose the
        // one or two requests that arrive in that moment (Deno bug).
        assert.ok(lost.length <= 2, why);
      } else {
        assert.deepEqual(lost, [], why);
      }
      assert.equal(served.length, replies.size - lost.length, "each once");
      assert.equal(new Set(served).size, served.length, "none served twice");
      const byA2 = [...replies.values()].filter((r) => r.endsWith(" a\n"));
      assert.ok(byA2.length > 0 && a2!.output.includes("served"));
      assert.ok(replies.size > 100, `${replies.size} requests`);
    },
  );
});
