/**
 * The socket half of the seam between the runtime-neutral core and a
 * runtime: listeners, connections and datagram endpoints
 * ({@linkcode Sockets}). The other half, threads, child processes and
 * signals, is `host.ts`; `driver.ts` joins the two into the `Driver` a
 * server takes.
 *
 * Each runtime's folder in `adapters/` implements {@linkcode Sockets} once,
 * with that runtime's own socket API. The core only ever talks to these
 * interfaces, so it never touches `Deno`, `Bun`, `process` or `node:*`.
 *
 * The shapes follow Deno's `Listener` and `Conn` (pull-style accept and read),
 * because pull is the only model that gives bounded memory on every runtime:
 * push runtimes (Bun, Node) queue at most {@linkcode StreamConn.readBufferSize}
 * bytes and pause the socket beyond that.
 *
 * @module
 */

/**
 * How many bytes a connection reads ahead of its handler unless told
 * otherwise ({@linkcode StreamConn.readBufferSize}): 64 KiB.
 */
export const DEFAULT_READ_BUFFER_SIZE = 65536;

/**
 * How long {@linkcode StreamConn.close} lets writes nobody awaited drain to
 * a peer before dropping them: 10 s. Awaited writes are already in the
 * kernel, so a well-behaved handler never waits on this.
 */
export const CLOSE_LINGER_MS = 10_000;

/**
 * How long a TLS client may take to finish its handshake before the
 * adapter drops it, unless `tls.handshakeTimeout` says otherwise: 10 s. A
 * client that connects and stays silent cannot hold a socket longer.
 */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * How many TLS handshakes may be in progress at once on one listener,
 * unless `tls.maxHandshakes` says otherwise: 128. Past it the oldest is
 * dropped, so silent clients cannot take every descriptor.
 */
export const MAX_TLS_HANDSHAKES = 128;

/** An IP socket address: a host name or literal and a port. */
export interface NetAddress {
  /** Host name or IP literal (`"127.0.0.1"`, `"::1"`, `"localhost"`). */
  hostname: string;
  /** Port number, 0 to 65535; 0 asks the system for a free port. */
  port: number;
}

/**
 * A Unix socket address: a file system path, or an abstract name starting
 * with `"\0"` (Linux). An unnamed peer has the path `""`.
 */
export interface UnixAddress {
  /** The socket's path; `""` for a peer that did not bind one. */
  path: string;
}

/** Any address a server binds or a client comes from. */
export type SocketAddress = NetAddress | UnixAddress;

/** A certificate chain and private key, both PEM text. */
export interface TlsOptions {
  /** The certificate chain, PEM (`-----BEGIN CERTIFICATE-----`). */
  cert: string;
  /** The private key, PEM (`-----BEGIN ... PRIVATE KEY-----`). */
  key: string;
  /**
   * Milliseconds a client may take to finish its handshake; then it is
   * dropped. Default {@linkcode TLS_HANDSHAKE_TIMEOUT_MS} (10 s).
   */
  handshakeTimeout?: number;
  /**
   * Handshakes in progress at once; past it the oldest is dropped. Default
   * {@linkcode MAX_TLS_HANDSHAKES} (128).
   */
  maxHandshakes?: number;
}

/** What {@linkcode Sockets.listenTcp} needs to open a TCP listener. */
export interface TcpListenOptions {
  /** Address to bind; the hostname is already validated. */
  hostname: string;
  /** Port to bind; 0 for any free port. */
  port: number;
  /** Listen backlog (Python's `request_queue_size`). */
  backlog: number;
  /** Set `SO_REUSEPORT`; adapters that cannot must throw `NotSupportedError`. */
  reusePort: boolean;
  /**
   * Serve TLS with the runtime's own TLS. Connections are accepted only
   * once their handshake succeeded; failed handshakes are dropped.
   */
  tls?: TlsOptions;
  /**
   * Accept connections that a worker takes over (`pass` in `host.ts`):
   * none is read here. Sockets that cannot be passed refuse it; the
   * adapters route such listeners to `node:net`.
   */
  passable?: boolean;
}

/** What {@linkcode Sockets.listenUnix} needs to open a Unix stream listener. */
export interface UnixListenOptions {
  /** The socket path, already validated (at most 107 bytes). */
  path: string;
  /** Listen backlog. */
  backlog: number;
  /** Serve TLS, as {@linkcode TcpListenOptions.tls}. */
  tls?: TlsOptions;
  /** Permission bits for the socket file, set right after binding. */
  mode?: number;
  /** Accept connections a child takes over, as {@linkcode TcpListenOptions.passable}. */
  passable?: boolean;
}

/** What {@linkcode Sockets.bindUdp} needs to open a UDP socket. */
export interface UdpBindOptions {
  /** Address to bind; an IPv6 literal gives an IPv6 socket. */
  hostname: string;
  /** Port to bind; 0 for any free port. */
  port: number;
  /** Set `SO_REUSEPORT`; adapters that cannot must throw `NotSupportedError`. */
  reusePort: boolean;
}

/** What {@linkcode Sockets.bindUnixDatagram} needs. */
export interface UnixDatagramBindOptions {
  /** The socket path, already validated. */
  path: string;
  /** Permission bits for the socket file, set right after binding. */
  mode?: number;
}

/**
 * A feature some socket implementations lack: `unixDatagram`, Unix
 * datagram sockets ({@linkcode Sockets.bindUnixDatagram}); `reusePort`,
 * TCP listeners sharing a port ({@linkcode TcpListenOptions.reusePort});
 * `udpReusePort`, UDP sockets sharing one ({@linkcode UdpBindOptions.reusePort}).
 */
export type SocketFeature = "unixDatagram" | "reusePort" | "udpReusePort";

/**
 * One runtime's sockets.
 *
 * Unix listeners share one rule for a path that already exists: a socket
 * file nobody listens on (left by a crashed run) is removed and the bind
 * goes on; anything else fails with `EADDRINUSE` and is left alone.
 */
export interface Sockets {
  /**
   * Why these sockets cannot offer `feature` here, or `undefined` if they
   * can. Servers ask in their constructor, so the error comes before any
   * socket.
   */
  unsupported(feature: SocketFeature): string | undefined;
  /**
   * Bind and listen. Rejects with a `SocketError` whose `code` is the system
   * code (`EADDRINUSE`, `EACCES`, ...).
   */
  listenTcp(options: TcpListenOptions): Promise<StreamListener<NetAddress>>;
  /** Bind and listen on a Unix path; the file is removed on close. */
  listenUnix(options: UnixListenOptions): Promise<StreamListener<UnixAddress>>;
  /** Bind a UDP socket. */
  bindUdp(options: UdpBindOptions): Promise<DatagramEndpoint<NetAddress>>;
  /** Bind a Unix datagram socket; the file is removed on close. */
  bindUnixDatagram(
    options: UnixDatagramBindOptions,
  ): Promise<DatagramEndpoint<UnixAddress>>;
}

/** A listening stream socket. */
export interface StreamListener<A extends SocketAddress = NetAddress> {
  /** The bound address, with port 0 replaced by the real port. */
  readonly address: A;
  /** The listening file descriptor, or `undefined` where the runtime hides it. */
  readonly fd: number | undefined;
  /**
   * The next connection. At most one call is pending at a time. After
   * {@linkcode StreamListener.close} it rejects with `ServerClosedError`.
   */
  accept(): Promise<StreamConn<A>>;
  /**
   * Removes and returns the connections the runtime already accepted that
   * {@linkcode StreamListener.accept} has not handed out yet, for a server
   * that serves them as it closes. Push runtimes (Bun, Node) queue such
   * connections; a pull runtime (Deno) has none and may leave this out.
   */
  takeAccepted?(): StreamConn<A>[];
  /**
   * Stop listening and drop connections not yet accepted. Resolves once the
   * address can be bound again.
   */
  close(): Promise<void>;
}

/** A connected stream socket, read by pull and written with backpressure. */
export interface StreamConn<A extends SocketAddress = NetAddress> {
  /** This end's address. */
  readonly localAddress: A;
  /** The peer's address. */
  readonly remoteAddress: A;
  /**
   * How many bytes the adapter may read ahead of the caller. Push runtimes
   * pause the socket past it; Deno reads at most this much per call.
   */
  readBufferSize: number;
  /**
   * The next chunk of bytes (owned by the caller), or `null` at end of
   * stream. Rejects with a `SocketError` (`ECONNRESET`, ...) on failure.
   * At most one call is pending at a time.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * As {@linkcode StreamConn.read}, but at most `max` bytes (the rest stays
   * for the next read), and an empty array at end of stream: Python's
   * `recv()`, which a handler then gets as it is, with no further step.
   * Optional: without it, `recv()` cuts what `read()` returns.
   */
  recv?(max: number): Promise<Uint8Array>;
  /**
   * Write all of `data`. Resolves once the bytes are handed to the kernel,
   * so a peer that stops reading holds the writer back instead of growing
   * a queue. Concurrent calls are written in call order.
   */
  write(data: Uint8Array): Promise<void>;
  /** Send FIN after the pending writes; reading stays possible. */
  closeWrite(): Promise<void>;
  /**
   * Close both directions now; writes still queued in user space get up to
   * {@linkcode CLOSE_LINGER_MS} to drain. Idempotent; a pending read
   * resolves `null`.
   */
  close(): void;
  /**
   * Close now, dropping writes still queued: for a peer that stopped
   * reading. Pending writes reject; a pending read resolves `null`.
   */
  abort(): void;
  /** Set or clear `TCP_NODELAY`; does nothing on Unix sockets. */
  setNoDelay(enable: boolean): void;
}

/** One received datagram and where it came from. */
export interface Datagram<A = NetAddress> {
  /** The payload, cut to the size the receiver asked for. */
  data: Uint8Array;
  /** The sender. */
  from: A;
}

/**
 * How many bytes of datagrams a push runtime (Bun, Node) keeps waiting for
 * the server: 256 KiB, about what Linux's default receive buffer holds.
 * Past it new datagrams are dropped, as a full kernel buffer drops them.
 */
export const DATAGRAM_QUEUE_BYTES = 256 << 10;

/**
 * How many datagrams a push runtime keeps waiting, however small: 256, as a
 * kernel buffer holds a few hundred small ones. A burst then costs at most
 * 256 handler runs of delay (0.26 s at 1 ms each), not a queue of tens of
 * thousands that keeps every later client waiting.
 */
export const DATAGRAM_QUEUE_COUNT = 256;

/** A bound datagram socket (UDP or Unix datagram). */
export interface DatagramEndpoint<A extends SocketAddress = NetAddress> {
  /** The bound address, with port 0 replaced by the real port. */
  readonly address: A;
  /** The file descriptor, or `undefined` where the runtime hides it. */
  readonly fd: number | undefined;
  /**
   * The next datagram, cut to `maxSize` bytes as `recvfrom` cuts it. At
   * most one call is pending at a time. After
   * {@linkcode DatagramEndpoint.close} it rejects with `ServerClosedError`.
   */
  receive(maxSize: number): Promise<Datagram<A>>;
  /**
   * Send one datagram. Rejects with a `SocketError` (`EMSGSIZE`, ...) when
   * the system refuses it.
   */
  send(data: Uint8Array, to: A): Promise<void>;
  /** Close the socket; a pending receive rejects with `ServerClosedError`. */
  close(): Promise<void>;
}
