/**
 * An in-memory network: the listeners and datagram endpoints bound on it,
 * by address, and the clients that connect to them.
 *
 * @module
 */

import { NotSupportedError, SocketError } from "../../src/errors.ts";
import { parseIPv4, parseIPv6 } from "../../src/proxy/ip.ts";
import type {
  Datagram,
  DatagramEndpoint,
  NetAddress,
  SocketAddress,
  SocketFeature,
  Sockets,
  StreamConn,
  StreamListener,
  TcpListenOptions,
  UdpBindOptions,
  UnixAddress,
  UnixDatagramBindOptions,
  UnixListenOptions,
} from "../../src/transport.ts";
import { bindNow } from "../_shared/bind_now.ts";
import { AcceptQueue, DatagramQueue, truncate } from "../_shared/push_queue.ts";
import { connectedPair, type MemoryConn } from "./conn.ts";

/** Errors here carry their codes; any other gets `EINVAL`. */
const invalid = () => "EINVAL";

/** The largest UDP payload IPv4 carries. */
const MAX_UDP_PAYLOAD = 65507;

/** Where the network gives out ports for port 0, as Linux's default range. */
const FIRST_EPHEMERAL_PORT = 32768;

/** An address's host as a key: IP literals and `localhost` only. */
function hostKey(hostname: string): string {
  const host = hostname.toLowerCase();
  if (host === "localhost") return "127.0.0.1";
  if (parseIPv4(host) || parseIPv6(host.replace(/^\[|\]$/g, ""))) return host;
  throw new SocketError("ENOTFOUND", `${hostname}: not found (in memory)`);
}

function wildcardOf(host: string): string {
  return host.includes(":") ? "::" : "0.0.0.0";
}

function loopbackOf(host: string): string {
  return host.includes(":") ? "::1" : "127.0.0.1";
}

class MemoryListener<A extends SocketAddress> implements StreamListener<A> {
  readonly address: A;
  readonly fd: undefined = undefined;
  readonly queue: AcceptQueue<MemoryConn<A>>;
  #release: () => void;

  constructor(address: A, backlog: number, release: () => void) {
    this.address = address;
    this.queue = new AcceptQueue(backlog, (conn) => conn.abort());
    this.#release = release;
  }

  accept(): Promise<StreamConn<A>> {
    return this.queue.accept();
  }

  takeAccepted(): StreamConn<A>[] {
    return this.queue.takeAll();
  }

  close(): Promise<void> {
    this.queue.close();
    this.#release();
    return Promise.resolve();
  }
}

class MemoryEndpoint<A extends SocketAddress> implements DatagramEndpoint<A> {
  readonly address: A;
  readonly fd: undefined = undefined;
  readonly queue: DatagramQueue<A> = new DatagramQueue();
  #deliver: (data: Uint8Array, to: A) => Promise<void>;
  #release: () => void;
  #closed = false;

  constructor(
    address: A,
    deliver: (data: Uint8Array, to: A) => Promise<void>,
    release: () => void,
  ) {
    this.address = address;
    this.#deliver = deliver;
    this.#release = release;
  }

  async receive(maxSize: number): Promise<Datagram<A>> {
    const { data, from } = await this.queue.receive();
    return { data: truncate(data, maxSize), from };
  }

  send(data: Uint8Array, to: A): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new SocketError("EBADF", "the socket is closed"));
    }
    return this.#deliver(data, to);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.queue.close();
      this.#release();
    }
    return Promise.resolve();
  }
}

/**
 * Sockets on an in-memory network. {@linkcode MemoryNetwork.connect} is a
 * client's way in; datagram clients bind an endpoint of their own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryNetwork } from "./network.ts";
 *
 * const network = new MemoryNetwork();
 * const listener = await network.listenTcp({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   backlog: 8,
 *   reusePort: false,
 * });
 * const client = await network.connect(listener.address);
 * const server = await listener.accept();
 * await client.write(new TextEncoder().encode("hi"));
 * assert.equal(new TextDecoder().decode((await server.read())!), "hi");
 * client.close();
 * server.close();
 * await listener.close();
 * ```
 */
export class MemoryNetwork implements Sockets {
  #streams = new Map<string, MemoryListener<SocketAddress>>();
  #datagrams = new Map<string, MemoryEndpoint<SocketAddress>>();
  #nextPort = FIRST_EPHEMERAL_PORT;

  unsupported(feature: SocketFeature): string | undefined {
    return feature === "reusePort" || feature === "udpReusePort"
      ? "the memory network's sockets cannot share a port"
      : undefined;
  }

  /**
   * Connects to the listener at `to`; rejects with `ECONNREFUSED` when
   * nothing listens there. A connection past the listener's backlog is
   * reset, as a full accept queue would drop it.
   */
  connect<A extends SocketAddress>(to: A): Promise<StreamConn<A>> {
    try {
      const [listener, key] = this.#find(this.#streams, to);
      if (!listener) {
        throw new SocketError("ECONNREFUSED", `nothing listens on ${key}`);
      }
      let server: SocketAddress;
      let client: SocketAddress;
      if ("path" in to) {
        server = { path: to.path };
        client = { path: "" }; // an unnamed peer, as Unix clients are
      } else {
        const host = hostKey(to.hostname);
        const from = host === wildcardOf(host) ? loopbackOf(host) : host;
        server = {
          hostname: from,
          port: (listener.address as NetAddress).port,
        };
        client = { hostname: from, port: this.#freePort(this.#streams, from) };
      }
      const [clientEnd, serverEnd] = connectedPair<A>(client as A, server as A);
      (listener as unknown as MemoryListener<A>).queue.push(serverEnd);
      return Promise.resolve(clientEnd);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  listenTcp(options: TcpListenOptions): Promise<StreamListener<NetAddress>> {
    return bindNow(() => {
      refuse(options);
      const address = this.#claim(this.#streams, options);
      const listener = new MemoryListener<NetAddress>(
        address,
        options.backlog,
        () => release(this.#streams, netKey(address), listener),
      );
      this.#streams.set(netKey(address), listener as never);
      return listener;
    }, invalid);
  }

  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>> {
    return bindNow(() => {
      refuse(options);
      const address = this.#claimPath(this.#streams, options.path);
      const listener = new MemoryListener<UnixAddress>(
        address,
        options.backlog,
        () => release(this.#streams, unixKey(address), listener),
      );
      this.#streams.set(unixKey(address), listener as never);
      return listener;
    }, invalid);
  }

  bindUdp(options: UdpBindOptions): Promise<DatagramEndpoint<NetAddress>> {
    return bindNow(() => {
      refuse(options);
      const address = this.#claim(this.#datagrams, options);
      const from = address.hostname === wildcardOf(address.hostname)
        ? { hostname: loopbackOf(address.hostname), port: address.port }
        : address;
      const endpoint = new MemoryEndpoint<NetAddress>(
        address,
        (data, to) => this.#sendTo(data, to, from, false),
        () => release(this.#datagrams, netKey(address), endpoint),
      );
      this.#datagrams.set(netKey(address), endpoint as never);
      return endpoint;
    }, invalid);
  }

  bindUnixDatagram(
    options: UnixDatagramBindOptions,
  ): Promise<DatagramEndpoint<UnixAddress>> {
    return bindNow(() => {
      const address = this.#claimPath(this.#datagrams, options.path);
      const endpoint = new MemoryEndpoint<UnixAddress>(
        address,
        (data, to) => this.#sendTo(data, to, address, true),
        () => release(this.#datagrams, unixKey(address), endpoint),
      );
      this.#datagrams.set(unixKey(address), endpoint as never);
      return endpoint;
    }, invalid);
  }

  #sendTo<A extends SocketAddress>(
    data: Uint8Array,
    to: A,
    from: A,
    unix: boolean,
  ): Promise<void> {
    if (!unix && data.length > MAX_UDP_PAYLOAD) {
      return Promise.reject(new SocketError("EMSGSIZE", "message too long"));
    }
    let target: MemoryEndpoint<SocketAddress> | undefined;
    try {
      [target] = this.#find(this.#datagrams, to);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!target && unix) {
      return Promise.reject(
        new SocketError("ECONNREFUSED", "no socket is bound to that path"),
      );
    }
    // UDP to nobody is lost silently, as on a real network.
    target?.queue.push(data.slice(), from);
    return Promise.resolve();
  }

  /** What is bound at `to`, or on the wildcard address of its family. */
  #find<T>(
    table: Map<string, T>,
    to: SocketAddress,
  ): [T | undefined, string] {
    if ("path" in to) return [table.get(unixKey(to)), to.path];
    const host = hostKey(to.hostname);
    const key = netKey({ hostname: host, port: to.port });
    return [
      table.get(key) ??
        table.get(netKey({ hostname: wildcardOf(host), port: to.port })),
      key,
    ];
  }

  #claim(
    table: Map<string, unknown>,
    options: { hostname: string; port: number },
  ): NetAddress {
    const hostname = hostKey(options.hostname);
    const port = options.port === 0
      ? this.#freePort(table, hostname)
      : options.port;
    if (this.#taken(table, hostname, port)) {
      throw new SocketError("EADDRINUSE", `${hostname}:${port} is in use`);
    }
    return { hostname, port };
  }

  /** Whether `hostname:port` clashes with a binding: the same, or a wildcard. */
  #taken(table: Map<string, unknown>, hostname: string, port: number): boolean {
    const wildcard = wildcardOf(hostname);
    for (const key of table.keys()) {
      if (key.startsWith("unix|")) continue;
      const at = key.lastIndexOf("|");
      const host = key.slice(0, at);
      if (Number(key.slice(at + 1)) !== port) continue;
      if (wildcardOf(host) !== wildcard) continue; // the other family
      if (host === hostname || host === wildcard || hostname === wildcard) {
        return true;
      }
    }
    return false;
  }

  #claimPath(table: Map<string, unknown>, path: string): UnixAddress {
    if (table.has(unixKey({ path }))) {
      throw new SocketError("EADDRINUSE", `${path} is in use`);
    }
    return { path };
  }

  #freePort(table: Map<string, unknown>, hostname: string): number {
    for (let tries = 0; tries < 28232; tries++) {
      const port = this.#nextPort;
      this.#nextPort = port >= 60999 ? FIRST_EPHEMERAL_PORT : port + 1;
      if (!this.#taken(table, hostname, port)) return port;
    }
    throw new SocketError("EADDRINUSE", "no free port left");
  }
}

/** Frees `key` if `owner` still holds it: a second close frees nothing. */
function release(table: Map<string, unknown>, key: string, owner: unknown) {
  if (table.get(key) === owner) table.delete(key);
}

function netKey(address: NetAddress): string {
  return `${address.hostname}|${address.port}`;
}

function unixKey(address: UnixAddress): string {
  return `unix|${address.path}`;
}

/** What the network cannot carry: TLS, `reusePort`, passing to a worker. */
function refuse(
  options: { reusePort?: boolean; tls?: unknown; passable?: boolean },
): void {
  if (options.tls) {
    throw new NotSupportedError("the memory driver carries no TLS");
  }
  if (options.reusePort) {
    throw new NotSupportedError("the memory driver has no SO_REUSEPORT");
  }
  if (options.passable) {
    throw new NotSupportedError(
      "the memory driver runs no workers to pass a connection to",
    );
  }
}
