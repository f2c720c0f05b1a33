/**
 * The server's listener when its workers (threads or children) each listen
 * on its port themselves (`port_share.ts`): the server's own socket only
 * holds the address until the workers listen, then closes, and `accept()`
 * yields the connections the workers accepted, as {@linkcode HeldConn}s.
 * The server's loop runs on them as on any connection (`verifyRequest`,
 * `maxConnections`, `closeGrace`); the pool sends each to be served by the
 * worker that holds it.
 *
 * @module
 */

import {
  NotSupportedError,
  ServerClosedError,
  SocketError,
} from "../errors.ts";
import { retryBackoff, SERVED_IN_WORKER } from "../server/stream_server.ts";
import type { NetAddress, StreamConn, StreamListener } from "../transport.ts";
import { OwnSocket } from "./own_socket.ts";

/** Who holds a connection, and how to tell it to close one. */
export interface Holder {
  /** The id of the worker that accepted it. */
  readonly workerId: number;
  /** Tells that worker to close a connection it holds. */
  drop(held: number): void;
}

/**
 * A connection a worker accepted and holds, unread, until the
 * server serves it there or drops it. Nothing here reads or writes it.
 */
export class HeldConn implements StreamConn<NetAddress> {
  readonly [SERVED_IN_WORKER] = true;
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  /** The thread that holds it. */
  readonly holder: Holder;
  /** Its number in that thread. */
  readonly held: number;
  readBufferSize = 0;
  /** Set once the pool sent it to be served: closing it is then the pool's. */
  served = false;
  #closed = false;

  /**
   * @param holder The thread that holds it.
   * @param held Its number there.
   * @param local The address the client connected to.
   * @param remote The client's address.
   */
  constructor(
    holder: Holder,
    held: number,
    local: NetAddress,
    remote: NetAddress,
  ) {
    this.holder = holder;
    this.held = held;
    this.localAddress = local;
    this.remoteAddress = remote;
  }

  /** Its bytes are read in the worker that holds it, never here. */
  read(): Promise<Uint8Array | null> {
    return Promise.reject(notHere());
  }

  /** Its bytes are written in the worker that holds it, never here. */
  write(_data: Uint8Array): Promise<void> {
    return Promise.reject(notHere());
  }

  /** Nothing to flush here: the worker shuts it when its handler ends. */
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  /** Drops it in its thread, unless it was sent to be served there. */
  close(): void {
    if (this.#closed || this.served) return;
    this.#closed = true;
    this.holder.drop(this.held);
  }

  /** As {@linkcode close}. */
  abort(): void {
    this.close();
  }

  /** The worker sets its own connections' options. */
  setNoDelay(_enable: boolean): void {}
}

function notHere(): SocketError {
  return new SocketError(
    "EOPNOTSUPP",
    "this connection is served by a worker thread: read and write it in the handler",
  );
}

/** Opens a listener of the server's own on its port again. */
export type Reopen = () => Promise<StreamListener<NetAddress>>;

/**
 * The server's listener while its workers accept on its port. The
 * server's own socket stays in the port's group only while no worker
 * listens (see {@linkcode OwnSocket}). The connections it accepts itself
 * are plain ones, which the pool passes over or relays as it would
 * without the workers' listeners.
 */
export class SharedListener
  extends OwnSocket<StreamListener<NetAddress>, StreamConn<NetAddress>>
  implements StreamListener<NetAddress> {
  readonly address: NetAddress;
  #backoff = 0;

  /**
   * @param own The server's own listener: it holds the port until the
   * workers listen.
   * @param reopen Opens it again when every worker stops listening.
   * @param onClose Tells the workers to stop listening.
   * @param onError Reports a failure to open it again.
   */
  constructor(
    own: StreamListener<NetAddress>,
    reopen: Reopen,
    onClose: () => void,
    onError: (error: Error) => void,
  ) {
    super(own, reopen, onClose, onError);
    this.address = own.address;
  }

  /**
   * The server's own socket's, while it has one: once the workers listen
   * a number would name a closed descriptor.
   */
  get fd(): number | undefined {
    if (this.own) return this.own.fd;
    throw new NotSupportedError(
      "fileno(): the workers listen on the port themselves (listenInThreads, listenInChildren) and the server holds no socket; set the option to false to keep one",
    );
  }

  /** A connection a worker accepted; refused once the listener is closed. */
  push(conn: StreamConn<NetAddress>): void {
    if (this.closed) return conn.close();
    this.deliver(conn);
  }

  /** Forgets the queued connections of a worker that died with them. */
  forget(workerId: number): void {
    this.forgetWhere((conn) =>
      conn instanceof HeldConn && conn.holder.workerId === workerId
    );
  }

  accept(): Promise<StreamConn<NetAddress>> {
    return this.next("accept");
  }

  protected takeOwn(own: StreamListener<NetAddress>): Promise<boolean> {
    return this.pending ??= own.accept().then((conn) => {
      this.pending = undefined;
      this.#backoff = 0;
      this.push(conn);
      return true;
    }, async (error) => {
      if (this.own === own && !(error instanceof ServerClosedError)) {
        // Longer while out of descriptors: the loop must not spin.
        this.#backoff = retryBackoff(this.#backoff, error);
        await new Promise((resolve) => setTimeout(resolve, this.#backoff));
      }
      // A socket that closed under it is gone: no accept on it again.
      if (this.own === own && error instanceof ServerClosedError) {
        this.own = undefined;
      }
      this.pending = undefined;
      // Again, or on the socket that replaced this one while it closed.
      if (this.waiting) this.pull();
      return false;
    });
  }

  /** The connections accepted that the server has not taken. */
  takeAccepted(): StreamConn<NetAddress>[] {
    return this.takeQueued();
  }

  close(): Promise<void> {
    return this.shut((conn) => conn.close());
  }
}
