/**
 * The Deno driver: `Deno.listen` and `Deno.listenDatagram`. It is the
 * default on Deno.
 *
 * Permissions: `--allow-net`, plus `--allow-read --allow-write` for Unix
 * sockets. UDP, Unix datagram sockets and `allowReusePort` need
 * `--unstable-net` (or `"unstable": ["net"]` in deno.json). Without it UDP
 * goes through `node:dgram`, Unix datagram servers are refused with a
 * `NotSupportedError`, and so is `allowReusePort` (instead of letting Deno
 * end the process). TLS goes through `node:tls`: a `Deno.listenTls`
 * connection whose handshake never finishes cannot be closed (its TCP
 * socket stays open), and it has no Unix transport.
 *
 * @example
 * ```ts
 * import { TCPServer } from "../mod.ts";
 * import { driver } from "./deno.ts";
 *
 * await using server = new TCPServer({ hostname: "127.0.0.1", port: 0 }, () => {}, { driver });
 * await server.ready();
 * ```
 *
 * @module
 */

import {
  connectionError,
  NotSupportedError,
  ServerClosedError,
  SocketError,
  toSocketError,
} from "../src/errors.ts";
import { ReadSize } from "../src/io/read_size.ts";
import { DEFAULT_READ_BUFFER_SIZE } from "../src/transport.ts";
import type {
  ChildProcessHandle,
  Datagram,
  DatagramEndpoint,
  Driver,
  DriverFeature,
  NetAddress,
  ShutdownSignal,
  SocketAddress,
  StreamConn,
  StreamListener,
  TcpListenOptions,
  UdpBindOptions,
  UnixAddress,
  UnixDatagramBindOptions,
  UnixListenOptions,
  WorkerEvents,
  WorkerLink,
} from "../src/transport.ts";
import { driver as nodeDriver } from "./node.ts";
import { spawnWithIpc } from "./_spawn.ts";
import { bindUnixPath } from "./_unix_path.ts";
import { ENTRY_EXT, startWebWorker } from "./_web_worker.ts";

// The few members of Deno's API this file uses, typed here so the package
// type-checks without Deno's ambient types (tsc, npm consumers).
interface DenoAddr {
  transport: string;
  hostname?: string;
  port?: number;
  path?: string | null;
}
interface DenoConn {
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  read(into: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(enable?: boolean): void;
}
interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
interface DenoDatagramConn {
  readonly addr: DenoAddr;
  receive(into?: Uint8Array): Promise<[Uint8Array, DenoAddr]>;
  send(data: Uint8Array, to: DenoAddr): Promise<number>;
  close(): void;
}
interface DenoApi {
  listen(
    options:
      | {
        hostname: string;
        port: number;
        transport: "tcp";
        reusePort?: boolean;
        tcpBacklog?: number;
      }
      | { path: string; transport: "unix" },
  ): DenoListener;
  listenDatagram?(
    options:
      | { hostname: string; port: number; transport: "udp" }
      | { path: string; transport: "unixpacket" },
  ): DenoDatagramConn;
  execPath(): string;
  Command: new (command: string, options: {
    args: string[];
    stdin: "piped";
    stdout: "inherit";
    stderr: "inherit";
  }) => {
    spawn(): {
      readonly pid: number;
      readonly stdin: WritableStream<Uint8Array>;
      readonly status: Promise<{ code: number; signal: string | null }>;
      kill(signal: string): void;
    };
  };
  permissions: {
    querySync(descriptor: { name: string }): { state: string };
  };
  addSignalListener(signal: string, listener: () => void): void;
  removeSignalListener(signal: string, listener: () => void): void;
}

/** The permissions a child gets when the server has them in full. */
const PERMISSIONS = [
  "read",
  "write",
  "net",
  "env",
  "run",
  "sys",
  "ffi",
  "import",
] as const;

/** `--allow-*` for each permission this process has without limits. */
function permissionFlags(api: DenoApi): string[] {
  return PERMISSIONS.flatMap((name) => {
    try {
      return api.permissions.querySync({ name }).state === "granted"
        ? [`--allow-${name}`]
        : [];
    } catch {
      return []; // a permission this Deno does not know
    }
  });
}

function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

/** Whether `--unstable-net` is on: it gates datagrams and reusePort alike. */
function unstableNet(): boolean {
  return typeof deno().listenDatagram === "function";
}

function netAddress(addr: DenoAddr): NetAddress {
  return { hostname: addr.hostname ?? "", port: addr.port ?? 0 };
}

function unixAddress(addr: DenoAddr): UnixAddress {
  return { path: addr.path ?? "" };
}

/** Maps a Deno error to a `SocketError`, or `ServerClosedError` once closed. */
function failure(error: unknown, closed: boolean, fallback: string): Error {
  return closed ? new ServerClosedError() : toSocketError(error, fallback);
}

/**
 * Read buffers of closed connections, for new ones to reuse: a burst of
 * short connections would otherwise leave one 64 KiB buffer of garbage
 * each, faster than the collector returns it.
 */
const spare: Uint8Array[] = [];
const SPARE_MAX = 64;

function takeScratch(size: number): Uint8Array {
  return (size === DEFAULT_READ_BUFFER_SIZE ? spare.pop() : undefined) ??
    new Uint8Array(size);
}

function spareScratch(buffer: Uint8Array): void {
  if (buffer.length === DEFAULT_READ_BUFFER_SIZE && spare.length < SPARE_MAX) {
    spare.push(buffer);
  }
}

class DenoStreamConn<A extends SocketAddress> implements StreamConn<A> {
  readonly localAddress: A;
  readonly remoteAddress: A;
  readBufferSize: number = DEFAULT_READ_BUFFER_SIZE;
  #conn: DenoConn;
  #scratch: Uint8Array | undefined;
  #size = new ReadSize();
  #reading = false;
  #closed = false;
  /** The last write still in flight; later writes queue behind it. */
  #writing: Promise<void> | undefined;
  /** Writes not yet settled; `#writing` is cleared when none is left. */
  #writes = 0;

  constructor(conn: DenoConn, address: (addr: DenoAddr) => A) {
    this.#conn = conn;
    this.localAddress = address(conn.localAddr);
    this.remoteAddress = address(conn.remoteAddr);
  }

  read(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    // One scratch buffer per connection, as large as its reads need (an
    // idle client's pending read holds it); each chunk is copied out.
    const size = this.#size.next(this.readBufferSize);
    if (this.#scratch?.length !== size) {
      if (this.#scratch) spareScratch(this.#scratch);
      this.#scratch = takeScratch(size);
    }
    this.#reading = true;
    // Not async: a waiting read holds two callbacks made once per
    // connection instead of a suspended frame made per read.
    return this.#conn.read(this.#scratch).then(this.#onRead, this.#onFailed);
  }

  #onRead = (n: number | null): Uint8Array | null => {
    this.#reading = false;
    const scratch = this.#scratch!;
    let chunk: Uint8Array | null = null;
    if (n !== null) {
      this.#size.record(n, scratch.length);
      chunk = scratch.slice(0, n);
    }
    if (this.#closed) this.#releaseScratch();
    return chunk;
  };

  #onFailed = (error: unknown): null => {
    this.#reading = false;
    if (!this.#closed) {
      throw connectionError(error, "EIO", "recv from", this.remoteAddress);
    }
    this.#releaseScratch();
    return null;
  };

  /** Gives the scratch buffer back once no read can write into it. */
  #releaseScratch(): void {
    if (this.#scratch) spareScratch(this.#scratch);
    this.#scratch = undefined;
  }

  write(data: Uint8Array): Promise<void> {
    const previous = this.#writing;
    this.#writes++;
    // Alone (the usual case) a write runs at once, with nothing to chain;
    // behind a failed write it fails with that write's error.
    const current = previous
      ? previous.then(() => this.#writeAll(data), (error) => {
        this.#writes--;
        throw error;
      })
      : this.#writeAll(data);
    this.#writing = current;
    return current;
  }

  async #writeAll(data: Uint8Array): Promise<void> {
    try {
      if (this.#closed) throw new Error("closed");
      // Deno writes partially under backpressure: loop until all is taken.
      let offset = await this.#conn.write(data);
      while (offset < data.length) {
        offset += await this.#conn.write(data.subarray(offset));
      }
    } catch (error) {
      this.#writes--; // #writing stays failed: so do the writes behind it
      const failure = this.#closed
        ? new SocketError("EPIPE", "the connection is closed", { cause: error })
        : error;
      throw connectionError(failure, "EPIPE", "send to", this.remoteAddress);
    }
    if (--this.#writes === 0) this.#writing = undefined;
  }

  async closeWrite(): Promise<void> {
    if (this.#writing) await this.#writing.catch(() => {});
    if (this.#closed) return;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      throw connectionError(error, "ENOTCONN", "send to", this.remoteAddress);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
    if (!this.#reading) this.#releaseScratch();
  }

  /** Deno queues no writes of its own: closing is already immediate. */
  abort(): void {
    this.close();
  }

  setNoDelay(enable: boolean): void {
    this.#conn.setNoDelay?.(enable); // Unix connections have none
  }
}

/** A TCP or Unix listener, accepted by pull. */
class DenoListenerAdapter<A extends SocketAddress>
  implements StreamListener<A> {
  readonly address: A;
  readonly fd: undefined = undefined;
  #listener: DenoListener;
  #toAddress: (addr: DenoAddr) => A;
  #closed = false;
  #accepting: Promise<DenoConn> | undefined;

  constructor(listener: DenoListener, toAddress: (addr: DenoAddr) => A) {
    this.#listener = listener;
    this.#toAddress = toAddress;
    this.address = toAddress(listener.addr);
  }

  async accept(): Promise<StreamConn<A>> {
    if (this.#closed) throw new ServerClosedError();
    const accepting = this.#accepting = this.#listener.accept();
    try {
      // One accepted as the listener closes is handed out all the same:
      // its client is in, and the server serves or closes it.
      return new DenoStreamConn(await accepting, this.#toAddress);
    } catch (error) {
      throw failure(error, this.#closed, "EIO");
    } finally {
      if (this.#accepting === accepting) this.#accepting = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    // Deno keeps the port busy until a pending accept() has settled; what
    // it brings is its caller's.
    if (this.#accepting) await this.#accepting.then(() => {}, () => {});
  }
}

class DenoDatagramEndpoint<A extends SocketAddress>
  implements DatagramEndpoint<A> {
  readonly address: A;
  readonly fd: undefined = undefined;
  #conn: DenoDatagramConn;
  #toAddress: (addr: DenoAddr) => A;
  #toDeno: (address: A) => DenoAddr;
  #scratch: Uint8Array | undefined;
  #size = new ReadSize();
  #reading = false;
  #closed = false;

  constructor(
    conn: DenoDatagramConn,
    toAddress: (addr: DenoAddr) => A,
    toDeno: (address: A) => DenoAddr,
  ) {
    this.#conn = conn;
    this.#toAddress = toAddress;
    this.#toDeno = toDeno;
    this.address = toAddress(conn.addr);
  }

  async receive(maxSize: number): Promise<Datagram<A>> {
    if (this.#closed) throw new ServerClosedError();
    // A buffer of exactly maxSize: the kernel cuts longer datagrams, as
    // Python's recvfrom(max_packet_size) does.
    if (this.#scratch?.length !== maxSize) {
      this.#scratch = new Uint8Array(maxSize);
    }
    try {
      const [data, from] = await this.#conn.receive(this.#scratch);
      return { data: data.slice(), from: this.#toAddress(from) };
    } catch (error) {
      throw failure(error, this.#closed, "EIO");
    }
  }

  async send(data: Uint8Array, to: A): Promise<void> {
    try {
      await this.#conn.send(data, this.#toDeno(to));
    } catch (error) {
      throw toSocketError(
        error,
        /too long/i.test(String(error)) ? "EMSGSIZE" : "EIO",
      );
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#conn.close(); // its socket file is bindUnixPath's to remove
    }
    return Promise.resolve();
  }
}

/** Runs a synchronous Deno bind, turning its error into a `SocketError`. */
function bindNow<T>(bind: () => T): Promise<T> {
  try {
    return Promise.resolve(bind());
  } catch (error) {
    return Promise.reject(
      toSocketError(
        error,
        /lookup address/.test(String(error)) ? "ENOTFOUND" : "EINVAL",
      ),
    );
  }
}

const NO_UNSTABLE_NET =
  'Deno\'s Unix datagram sockets need --unstable-net (or "unstable": ["net"] in deno.json); without it use UnixStreamServer, or UDPServer on 127.0.0.1';

/** Deno's workers cannot take a socket: a `postMessage` empties it. */
const NO_THREAD_HANDOVER =
  "Deno's workers cannot take a socket; their connections are relayed";

/** The Deno driver. */
export const driver: Driver = {
  name: "deno",
  unsupported(feature: DriverFeature): string | undefined {
    if (feature === "unixDatagram" && !unstableNet()) return NO_UNSTABLE_NET;
    if (feature === "threadHandover") return NO_THREAD_HANDOVER;
    return undefined;
  },
  listenTcp(options: TcpListenOptions): Promise<StreamListener<NetAddress>> {
    // Deno.listenTls cannot drop a client whose handshake never finishes:
    // closing the TlsConn leaves its TCP socket open. node:tls can.
    // Only node:net sockets can be passed to a child process.
    if (options.tls || options.passable) return nodeDriver.listenTcp(options);
    const api = deno();
    if (options.reusePort && !unstableNet()) {
      // Deno exits with code 70 if reusePort is used without the flag.
      return Promise.reject(
        new NotSupportedError(
          "allowReusePort on Deno needs --unstable-net (or the node:net driver from adapters/node.ts)",
        ),
      );
    }
    const listen = {
      hostname: options.hostname,
      port: options.port,
      transport: "tcp" as const,
      tcpBacklog: options.backlog,
      ...(options.reusePort ? { reusePort: true } : {}),
    };
    return bindNow(() =>
      new DenoListenerAdapter(api.listen(listen), netAddress)
    );
  },
  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>> {
    if (options.tls || options.passable) return nodeDriver.listenUnix(options);
    return bindUnixPath(
      options.path,
      () =>
        bindNow(() =>
          new DenoListenerAdapter(
            deno().listen({ transport: "unix", path: options.path }),
            unixAddress,
          )
        ),
      options.mode,
    );
  },
  bindUdp(options: UdpBindOptions): Promise<DatagramEndpoint<NetAddress>> {
    if (options.reusePort) {
      return Promise.reject(
        new NotSupportedError(
          "allowReusePort: Deno's UDP sockets have no SO_REUSEPORT (use Bun or Node)",
        ),
      );
    }
    const api = deno();
    if (!api.listenDatagram) return nodeDriver.bindUdp(options);
    const listenDatagram = api.listenDatagram.bind(api);
    return bindNow(() =>
      new DenoDatagramEndpoint(
        listenDatagram({
          transport: "udp",
          hostname: options.hostname,
          port: options.port,
        }),
        netAddress,
        (to) => ({ transport: "udp", hostname: to.hostname, port: to.port }),
      )
    );
  },
  bindUnixDatagram(
    options: UnixDatagramBindOptions,
  ): Promise<DatagramEndpoint<UnixAddress>> {
    const api = deno();
    if (!api.listenDatagram) {
      return Promise.reject(new NotSupportedError(NO_UNSTABLE_NET));
    }
    const listenDatagram = api.listenDatagram.bind(api);
    return bindUnixPath(
      options.path,
      () =>
        bindNow(() =>
          new DenoDatagramEndpoint(
            listenDatagram({ transport: "unixpacket", path: options.path }),
            unixAddress,
            (to) => ({ transport: "unixpacket", path: to.path }),
          )
        ),
      options.mode,
    );
  },
  startThread(events: WorkerEvents): WorkerLink {
    return startWebWorker(events);
  },
  spawnChild(stdin: string): ChildProcessHandle {
    const api = deno();
    const entry = new URL(`./_child${ENTRY_EXT}`, import.meta.url);
    return spawnWithIpc(
      api.execPath(),
      ["run", ...permissionFlags(api), entry.href],
      stdin,
    );
  },
  onSignal(signal: ShutdownSignal, listener: () => void): () => void {
    const api = deno();
    api.addSignalListener(signal, listener);
    return () => api.removeSignalListener(signal, listener);
  },
};
