// The PROXY protocol reader (TCPServer's `proxyProtocol`): version 1 and 2
// headers from raw clients, every way a header can be malformed, seeded
// mutations, a header that never completes, and a real HAProxy in front with `send-proxy` and
// `send-proxy-v2`, over IPv4 and IPv6.

import assert from "node:assert/strict";
import { describe, it } from "./_testing.ts";
import {
  type Driver,
  EventLoopTCPServer,
  type NetAddress,
  ProxyProtocolError,
  StreamRequestHandler,
  TCPServer,
  type TCPServerOptions,
  ThreadingTCPServer,
  TimeoutError,
  UnixStreamServer,
} from "../mod.ts";
import { parseProxyHeader } from "../src/proxy/header.ts";
import { HAProxy, haproxySkip } from "./_haproxy.ts";
import { Commands } from "./_pool_handlers.ts";
import {
  Client,
  collectingErrors,
  decoder,
  DRIVERS,
  encoder,
  LIMIT,
  LOCAL,
  RUNTIME,
  seededRandom,
  sleep,
} from "./_helpers.ts";

/** Replies `host port line` for the clientAddress it got and its first line. */
class Who extends StreamRequestHandler<TCPServer> {
  override async handle(): Promise<void> {
    const line = await this.rfile.readline();
    if (line.length === 0) return; // a probe or health check: no request
    const { hostname, port } = this.clientAddress as NetAddress;
    await this.wfile.write(`${hostname} ${port} ${decoder.decode(line)}`);
  }
}

// The test keeps its own copy, so a wrong constant in the parser shows.
const SIGNATURE = [...encoder.encode("\r\n\r\n\0\r\nQUIT\n")];

/** A version 2 header: version/command byte, family/transport byte, block. */
function v2(command: number, family: number, block: number[]): Uint8Array {
  return new Uint8Array([
    ...SIGNATURE,
    command,
    family,
    block.length >> 8,
    block.length & 0xff,
    ...block,
  ]);
}

const port16 = (port: number) => [port >> 8, port & 0xff];
const ipv6 = (...words: number[]) => words.flatMap(port16);

/**
 * A server of `Base` with `proxyProtocol` on, serving `Who` and collecting
 * what it reports into `errors`.
 */
function proxyServer(
  Base: typeof TCPServer,
  driver: Driver,
  errors: unknown[],
  options: TCPServerOptions = {},
): TCPServer {
  const Server = collectingErrors(Base, errors);
  return new Server(LOCAL, Who, { driver, proxyProtocol: true, ...options });
}

/** Serves with `server` while `body` runs, then stops its loop. */
async function whileServing(
  server: TCPServer,
  body: () => Promise<void>,
): Promise<void> {
  await server.ready();
  const loop = server.serveForever({ pollInterval: 10 });
  try {
    await body();
  } finally {
    await server.shutdown();
    await loop;
  }
}

/** Sends `bytes` on a new connection; returns the answer's first line. */
async function ask(port: number, bytes: string | Uint8Array): Promise<string> {
  const client = await Client.connect(port);
  try {
    await client.write(bytes);
    return await client.readUntil("\n");
  } finally {
    client.close();
  }
}

/** Header bytes, and what the handler should get (`peer`: the client itself). */
const GOOD: [string, Uint8Array | string, [string, number] | "peer"][] = [
  ["v1 TCP4", "PROXY TCP4 192.0.2.7 198.51.100.1 5000 80\r\n", [
    "192.0.2.7",
    5000,
  ]],
  [
    "v1 TCP6, written long, comes out as the runtimes write it",
    "PROXY TCP6 2001:DB8:0:0:0:0:0:7 2001:db8::1 65535 443\r\n",
    ["2001:db8::7", 65535],
  ],
  [
    "v1 UNKNOWN with addresses (ignored)",
    "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n",
    "peer",
  ],
  ["v1 UNKNOWN, short form", "PROXY UNKNOWN\r\n", "peer"],
  [
    "v2 PROXY TCP over IPv4",
    v2(0x21, 0x11, [
      192,
      0,
      2,
      9,
      127,
      0,
      0,
      1,
      ...port16(6000),
      ...port16(80),
    ]),
    ["192.0.2.9", 6000],
  ],
  [
    "v2 PROXY TCP over IPv6, with TLVs after the addresses",
    v2(0x21, 0x21, [
      ...ipv6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x42),
      ...ipv6(0, 0, 0, 0, 0, 0, 0, 1),
      ...port16(1234),
      ...port16(443),
      0x04, // PP2_TYPE_NOOP
      0,
      3,
      1,
      2,
      3,
    ]),
    ["2001:db8::42", 1234],
  ],
  [
    "v2 PROXY with an IPv4-mapped IPv6 client",
    v2(0x21, 0x21, [
      ...ipv6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201),
      ...ipv6(0, 0, 0, 0, 0, 0, 0, 1),
      ...port16(7),
      ...port16(8),
    ]),
    ["::ffff:192.0.2.1", 7],
  ],
  [
    "v2 PROXY UDP over IPv4",
    v2(0x21, 0x12, [10, 1, 2, 3, 10, 0, 0, 1, ...port16(53), ...port16(53)]),
    ["10.1.2.3", 53],
  ],
  [
    "v2 LOCAL (a health check): its block is ignored",
    v2(0x20, 0x11, new Array(12).fill(9)),
    "peer",
  ],
  ["v2 PROXY over UNSPEC", v2(0x21, 0x00, []), "peer"],
  [
    "v2 PROXY over a Unix socket",
    v2(0x21, 0x31, new Array(216).fill(0x2f)),
    "peer",
  ],
];

/**
 * A valid header (from GOOD) followed by a line, with a few random bytes
 * changed, some cut off, or random bytes put in.
 */
function mutate(next: () => number): Uint8Array {
  const [, header] = GOOD[Math.floor(next() * GOOD.length)];
  const bytes = [
    ...(typeof header === "string" ? encoder.encode(header) : header),
    ...encoder.encode("line\n"),
  ];
  const edits = 1 + Math.floor(next() * 3);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * bytes.length);
    const roll = next();
    if (roll < 0.5) bytes[at] = Math.floor(next() * 256);
    else if (roll < 0.75) bytes.length = at;
    else bytes.splice(at, 0, Math.floor(next() * 256));
  }
  return new Uint8Array(bytes);
}

/** Bytes, and a part of the message the error must have. */
const BAD: [string, Uint8Array | string, string][] = [
  ["no header at all", "hello\n", "did not start with"],
  ["an HTTP request", "GET / HTTP/1.0\r\n\r\n", "did not start with"],
  ["a bare LF", "PROXY TCP4 192.0.2.7 198.51.100.1 5000 80\n", "bare LF"],
  ["a CR without LF", "PROXY TCP4 192.0.2.7\rX", "CR not followed"],
  ["no CRLF within 107 bytes", `PROXY ${"A".repeat(200)}`, "first 107 bytes"],
  [
    "an unknown protocol",
    "PROXY TCP5 192.0.2.7 198.51.100.1 5000 80\r\n",
    "unknown protocol",
  ],
  [
    "a missing port",
    "PROXY TCP4 192.0.2.7 198.51.100.1 5000\r\n",
    "2 addresses and 2 ports",
  ],
  [
    "two spaces",
    "PROXY TCP4  192.0.2.7 198.51.100.1 5000 80\r\n",
    "2 addresses and 2 ports",
  ],
  [
    "a leading zero",
    "PROXY TCP4 192.0.2.07 198.51.100.1 5000 80\r\n",
    "not a TCP4 address",
  ],
  [
    "an IPv6 address on TCP4",
    "PROXY TCP4 ::1 ::1 5000 80\r\n",
    "not a TCP4 address",
  ],
  [
    "a bad IPv6 address",
    "PROXY TCP6 1::2::3 ::1 5000 80\r\n",
    "not a TCP6 address",
  ],
  [
    "a port with a leading zero",
    "PROXY TCP4 192.0.2.7 198.51.100.1 05000 80\r\n",
    "not a port",
  ],
  [
    "a port past 65535",
    "PROXY TCP4 192.0.2.7 198.51.100.1 65536 80\r\n",
    "not a port",
  ],
  [
    "a broken v2 signature",
    new Uint8Array([
      0x0d,
      0x0a,
      0x0d,
      0x0a,
      0x00,
      0x0d,
      0x0a,
      0x51,
      0x55,
      0x49,
      0x53,
    ]),
    "did not start with",
  ],
  [
    "v2 signature with version 1",
    v2(0x11, 0x11, new Array(12).fill(0)),
    "version 1",
  ],
  ["v2 command 2", v2(0x22, 0x11, new Array(12).fill(0)), "command 2"],
  [
    "v2 address family 4",
    v2(0x21, 0x41, new Array(12).fill(0)),
    "address family 4",
  ],
  ["v2 transport 3", v2(0x21, 0x13, new Array(12).fill(0)), "transport 3"],
  [
    "v2 IPv4 block too short",
    v2(0x21, 0x11, new Array(8).fill(0)),
    "IPv4 needs 12",
  ],
  [
    "v2 IPv6 block too short",
    v2(0x21, 0x21, new Array(12).fill(0)),
    "IPv6 needs 36",
  ],
];

for (const driver of DRIVERS) {
  describe(`PROXY protocol [${driver.name} driver on ${RUNTIME}]`, () => {
    it(
      "v1 and v2 headers give the handler the named client; the bytes after the header reach it",
      LIMIT,
      async () => {
        const errors: unknown[] = [];
        const peers: NetAddress[] = [];
        class Server extends collectingErrors(TCPServer, errors) {
          // verifyRequest sees the connection's own peer: the proxy.
          override verifyRequest(_request: unknown, peer: NetAddress) {
            peers.push(peer);
            return true;
          }
        }
        await using server = new Server(LOCAL, Who, {
          driver,
          proxyProtocol: true,
        });
        await whileServing(server, async () => {
          for (const [name, header, expected] of GOOD) {
            for (const split of [false, true]) {
              const client = await Client.connect(server.serverAddress.port);
              const bytes = typeof header === "string"
                ? encoder.encode(header)
                : header;
              if (split) {
                // A byte at a time: the reader must gather the header.
                client.socket.setNoDelay(true);
                for (const byte of bytes) {
                  await client.write(new Uint8Array([byte]));
                  await sleep(1);
                }
                await client.write("split\n");
              } else {
                // The header and the request in one segment.
                await client.write(
                  new Uint8Array([...bytes, ...encoder.encode("whole\n")]),
                );
              }
              const reply = await client.readUntil("\n");
              const local = client.localPort;
              client.close();
              const [host, port] = expected === "peer"
                ? ["127.0.0.1", local]
                : expected;
              assert.equal(
                reply,
                `${host} ${port} ${split ? "split" : "whole"}\n`,
                name,
              );
              assert.deepEqual(peers.at(-1), {
                hostname: "127.0.0.1",
                port: local,
              });
            }
          }
          assert.deepEqual(errors, []);
        });
      },
    );

    it(
      "a missing or malformed header closes the connection, is reported, and the server serves on",
      LIMIT,
      async () => {
        const errors: unknown[] = [];
        await using server = proxyServer(TCPServer, driver, errors);
        await whileServing(server, async () => {
          const cases: [string, Uint8Array | string, string, boolean][] = [
            ...BAD.map(([n, b, m]) =>
              [n, b, m, false] as [string, Uint8Array | string, string, boolean]
            ),
            [
              "a v1 header cut short by FIN",
              "PROXY TCP4 192.0.2.",
              "ended inside",
              true,
            ],
            [
              "a v2 header cut short by FIN",
              v2(0x21, 0x11, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).subarray(
                0,
                20,
              ),
              "ended inside",
              true,
            ],
            ["nothing, then FIN", "", "did not start with", true],
          ];
          for (const [name, bytes, message, fin] of cases) {
            const client = await Client.connect(server.serverAddress.port);
            if (bytes.length > 0) await client.write(bytes);
            if (fin) client.end();
            // Closed without a reply: the handler never ran.
            assert.equal(await client.readAll(), "", name);
            client.close();
            assert.equal(errors.length, 1, name);
            const error = errors.pop();
            assert.ok(error instanceof ProxyProtocolError, `${name}: ${error}`);
            assert.equal(error.code, "ERR_PROXY_PROTOCOL");
            assert.match(error.message, new RegExp(message), name);
          }
          assert.equal(
            await ask(
              server.serverAddress.port,
              "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\nstill\n",
            ),
            "192.0.2.1 1 still\n",
          );
        });
      },
    );

    it(
      "a header that never completes is cut at proxyHeaderTimeout, without holding up other clients",
      LIMIT,
      async () => {
        const errors: unknown[] = [];
        await using server = proxyServer(EventLoopTCPServer, driver, errors, {
          proxyHeaderTimeout: 300,
        });
        await whileServing(server, async () => {
          const stalled = await Client.connect(server.serverAddress.port);
          await stalled.write("PROXY TCP4 192.0.2.");
          // Meanwhile another client is served: the header is read in the
          // request's own task, not in the accept loop.
          assert.equal(
            await ask(
              server.serverAddress.port,
              "PROXY TCP4 192.0.2.3 192.0.2.2 3 2\r\nmeanwhile\n",
            ),
            "192.0.2.3 3 meanwhile\n",
          );
          assert.equal(stalled.received, "");
          assert.equal(await stalled.closedWithin(5000), true);
          stalled.close();
          assert.equal(errors.length, 1);
          assert.ok(errors[0] instanceof TimeoutError);
          assert.equal(errors[0].code, "ETIMEDOUT");
          assert.match(errors[0].message, /within 300 ms/);
        });
      },
    );

    it(
      "300 seeded mutations of valid headers: each served or rejected, none crashes or hangs",
      LIMIT,
      async () => {
        const errors: unknown[] = [];
        await using server = proxyServer(EventLoopTCPServer, driver, errors);
        await whileServing(server, async () => {
          const next = seededRandom(0x9b0c);
          for (let i = 0; i < 300; i += 30) {
            await Promise.all(
              Array.from({ length: 30 }, async () => {
                const client = await Client.connect(server.serverAddress.port);
                await client.write(mutate(next));
                client.end(); // a cut-short header fails at once, not by timeout
                await client.closedWithin(5000);
                client.close();
              }),
            );
          }
          for (const error of errors) {
            const code = (error as { code?: string }).code;
            assert.ok(
              error instanceof ProxyProtocolError || code === "ECONNRESET" ||
                code === "EPIPE",
              String(error),
            );
          }
          assert.ok(errors.length > 0, "the mutations reached the parser");
          assert.equal(
            await ask(
              server.serverAddress.port,
              "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\nafter\n",
            ),
            "192.0.2.1 1 after\n",
          );
        });
      },
    );

    it(
      "behind a real HAProxy: send-proxy and send-proxy-v2, from IPv4 and IPv6 clients, and its v2 health checks",
      { ...LIMIT, timeout: 30_000, skip: haproxySkip },
      async () => {
        const errors: unknown[] = [];
        const seen: { client: NetAddress; peer: NetAddress }[] = [];
        class Record extends Who {
          override setup() {
            super.setup();
            seen.push({
              client: this.clientAddress as NetAddress,
              peer: this.request.remoteAddress as NetAddress,
            });
          }
        }
        const Server = collectingErrors(EventLoopTCPServer, errors);
        await using server = new Server(LOCAL, Record, {
          driver,
          proxyProtocol: true,
        });
        await whileServing(server, async () => {
          const frontends = [
            { host: "127.0.0.1", send: "send-proxy" },
            { host: "127.0.0.1", send: "send-proxy-v2", check: true },
            { host: "::1", send: "send-proxy" },
            { host: "::1", send: "send-proxy-v2" },
          ] as const;
          await using proxy = await HAProxy.start(
            [...frontends],
            server.serverAddress.port,
          );
          for (const [i, { host, send }] of frontends.entries()) {
            const client = await Client.connect(proxy.ports[i], host);
            await client.write(`${send}\n`);
            const reply = await client.readUntil("\n");
            const local = client.localPort;
            client.close();
            // The client's own address and port, not HAProxy's.
            assert.equal(reply, `${host} ${local} ${send}\n`, send);
          }
          // HAProxy's health checks send v2 LOCAL: the handler gets the peer.
          const deadline = Date.now() + 5000;
          while (
            !seen.some(({ client, peer }) =>
              client.hostname === peer.hostname && client.port === peer.port
            ) && Date.now() < deadline
          ) await sleep(50);
          assert.ok(
            seen.some(({ client, peer }) =>
              client.hostname === peer.hostname && client.port === peer.port
            ),
            `no health check seen; HAProxy said:\n${proxy.output}`,
          );
          // HAProxy may reset a finished health check; nothing else may fail.
          for (const error of errors) {
            assert.equal(
              (error as { code?: string }).code,
              "ECONNRESET",
              String(error),
            );
          }
        });
      },
    );
  });
}

describe(`PROXY protocol with worker threads [${RUNTIME}]`, () => {
  it(
    "the worker's handler gets the client the header names",
    { timeout: 30_000 },
    async () => {
      await using server = new ThreadingTCPServer(LOCAL, Commands, {
        proxyProtocol: true,
      });
      server.poolSize = 1;
      await whileServing(server, async () => {
        assert.equal(
          await ask(
            server.serverAddress.port,
            "PROXY TCP6 2001:db8::5 ::1 4321 80\r\naddr\n",
          ),
          "2001:db8::5 4321\n",
        );
      });
    },
  );
});

describe(`PROXY protocol options [${RUNTIME}]`, () => {
  it("bad options fail in the constructor, before any socket opens", () => {
    const pem = {
      cert: "-----BEGIN CERTIFICATE-----\n",
      key: "-----BEGIN PRIVATE KEY-----\n",
    };
    const make = (options: object) => () =>
      new TCPServer(LOCAL, Who, { bindAndActivate: false, ...options });
    assert.throws(make({ proxyProtocol: "yes" }), TypeError);
    assert.throws(
      make({ proxyProtocol: true, tls: pem }),
      /end TLS at the proxy/,
    );
    assert.throws(make({ proxyHeaderTimeout: -1 }), RangeError);
    assert.throws(make({ proxyHeaderTimeout: null }), RangeError);
    assert.throws(make({ proxyHeaderTimout: 1 }), /unknown option/);
    // Unix servers do not read the header: their addresses are paths.
    assert.throws(
      () =>
        new UnixStreamServer({ path: "/tmp/x.sock" }, Who, {
          bindAndActivate: false,
          proxyProtocol: true,
        } as object),
      /unknown option "proxyProtocol"/,
    );
  });

  it("parseProxyHeader on 20,000 seeded mutations: a result or a ProxyProtocolError, nothing else", () => {
    const next = seededRandom(0x70c5);
    let parsed = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = mutate(next);
      try {
        const result = parseProxyHeader(bytes);
        if (typeof result === "number") {
          assert.ok(result > bytes.length && result <= 16 + 65535);
        } else {
          parsed++;
          assert.ok(result.length <= bytes.length);
          for (
            const address of [result.header.source, result.header.destination]
          ) {
            if (address === null) continue;
            assert.ok(address.port >= 0 && address.port <= 65535);
            assert.ok(address.hostname.length > 0);
          }
        }
      } catch (error) {
        assert.ok(error instanceof ProxyProtocolError, String(error));
      }
    }
    assert.ok(parsed > 0, "some mutations still parse");
  });

  it("parseProxyHeader asks for exactly the bytes a header still needs", () => {
    const whole = v2(0x21, 0x11, [192, 0, 2, 9, 127, 0, 0, 1, 0, 1, 0, 2]);
    assert.equal(parseProxyHeader(whole.subarray(0, 5)), 16);
    assert.equal(parseProxyHeader(whole.subarray(0, 20)), 28);
    const parsed = parseProxyHeader(whole);
    assert.ok(typeof parsed === "object");
    assert.equal(parsed.length, 28);
    assert.deepEqual(parsed.header.source, { hostname: "192.0.2.9", port: 1 });
    assert.equal(
      parseProxyHeader(encoder.encode("PROXY TCP4 1.2.3.4")),
      19,
    );
  });
});
