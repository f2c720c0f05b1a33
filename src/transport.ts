/**
 * The narrow interface between the runtime-neutral core and a runtime.
 *
 * Each adapter in `adapters/` implements {@linkcode Driver} once, with that
 * runtime's own socket API. The core only ever talks to these interfaces, so
 * it never touches `Deno`, `Bun`, `process` or `node:*`.
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

/** An IP socket address: a host name or literal and a port. */
export interface NetAddress {
  /** Host name or IP literal (`"127.0.0.1"`, `"::1"`, `"localhost"`). */
  hostname: string;
  /** Port number, 0 to 65535; 0 asks the system for a free port. */
  port: number;
}

/** What {@linkcode Driver.listenTcp} needs to open a TCP listener. */
export interface TcpListenOptions {
  /** Address to bind; the hostname is already validated. */
  hostname: string;
  /** Port to bind; 0 for any free port. */
  port: number;
  /** Listen backlog (Python's `request_queue_size`). */
  backlog: number;
  /** Set `SO_REUSEPORT`; adapters that cannot must throw `NotSupportedError`. */
  reusePort: boolean;
}

/**
 * One runtime's socket implementation.
 *
 * Adapters export one of these (`adapters/deno.ts`, `adapters/bun.ts`,
 * `adapters/node.ts`); servers take it through their `driver` option, or
 * `mod.ts` picks the one for the running runtime.
 */
export interface Driver {
  /** Short name used in messages and test titles: `"deno"`, `"bun"`, `"node"`. */
  readonly name: string;
  /**
   * Bind and listen. Rejects with a `SocketError` whose `code` is the system
   * code (`EADDRINUSE`, `EACCES`, ...).
   */
  listenTcp(options: TcpListenOptions): Promise<StreamListener>;
}

/** A listening stream socket. */
export interface StreamListener {
  /** The bound address, with port 0 replaced by the real port. */
  readonly address: NetAddress;
  /** The listening file descriptor, or `undefined` where the runtime hides it. */
  readonly fd: number | undefined;
  /**
   * The next connection. At most one call is pending at a time. After
   * {@linkcode StreamListener.close} it rejects with `ServerClosedError`.
   */
  accept(): Promise<StreamConn>;
  /**
   * Stop listening and drop connections not yet accepted. Resolves once the
   * address can be bound again.
   */
  close(): Promise<void>;
}

/** A connected stream socket, read by pull and written with backpressure. */
export interface StreamConn {
  /** This end's address. */
  readonly localAddress: NetAddress;
  /** The peer's address. */
  readonly remoteAddress: NetAddress;
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
  /** Set or clear `TCP_NODELAY`. */
  setNoDelay(enable: boolean): void;
}
