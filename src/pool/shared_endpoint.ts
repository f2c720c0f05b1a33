/**
 * The server's UDP socket when its workers (threads or children) each bind
 * its port themselves (`packet_share.ts`): the server's own socket only
 * holds the port until the workers bind it, then closes, and `receive()`
 * yields the datagrams the workers received, with a copy of their bytes.
 * The server's loop runs on them as on any datagram (`verifyRequest`,
 * `handlerTimeout`, `handleError`); the pool sends each to be served by
 * the worker that holds it, which replies from its own socket.
 *
 * @module
 */

import {
  NotSupportedError,
  ServerClosedError,
  SocketError,
} from "../errors.ts";
import type { Datagram, DatagramEndpoint, NetAddress } from "../transport.ts";
import { OwnSocket } from "./own_socket.ts";
import type { Holder } from "./shared_listener.ts";

/** A datagram a worker received and holds until the server serves it there. */
export interface HeldPacket {
  /** The worker that received it. */
  readonly holder: Holder;
  /** Its number in that worker. */
  readonly held: number;
  /** Set once the pool sent it to be served, or dropped it. */
  served: boolean;
}

/** Binds a UDP socket of the server's own on its port again. */
export type Rebind = () => Promise<DatagramEndpoint<NetAddress>>;

/**
 * The server's UDP socket while its workers receive on its port. The
 * server's own socket is in the port's group only while no worker is
 * (see {@linkcode OwnSocket}). The datagrams it receives itself are plain
 * ones, which the pool relays.
 */
export class SharedEndpoint
  extends OwnSocket<DatagramEndpoint<NetAddress>, Datagram>
  implements DatagramEndpoint<NetAddress> {
  readonly address: NetAddress;
  /**
   * What the server's own socket cuts datagrams to: the server's
   * `maxPacketSize`, set as the workers bind, then by each `receive()`.
   */
  maxSize = 8192;
  #held = new WeakMap<Uint8Array, HeldPacket>();

  /**
   * @param own The server's own socket: it holds the port until the
   * workers bind it.
   * @param rebind Binds it again when every worker stops.
   * @param onClose Tells the workers to close their sockets.
   * @param onError Reports a failure to bind it again.
   */
  constructor(
    own: DatagramEndpoint<NetAddress>,
    rebind: Rebind,
    onClose: () => void,
    onError: (error: Error) => void,
  ) {
    super(own, rebind, onClose, onError);
    this.address = own.address;
  }

  /** The server's own socket's, while it has one. */
  get fd(): number | undefined {
    if (this.own) return this.own.fd;
    throw new NotSupportedError(
      "fileno(): the workers receive on the port themselves (listenInThreads, listenInChildren) and the server holds no socket; set the option to false to keep one",
    );
  }

  /** The worker holding `data`'s datagram, if a worker received it. */
  heldOf(data: Uint8Array): HeldPacket | undefined {
    return this.#held.get(data);
  }

  /**
   * A datagram a worker received, which it holds as `held`; dropped at
   * once if the socket is closed.
   */
  push(datagram: Datagram, held: HeldPacket): void {
    if (this.closed) return held.holder.drop(held.held);
    this.#held.set(datagram.data, held);
    this.deliver(datagram);
  }

  /** Forgets the queued datagrams of a worker that died with them. */
  forget(workerId: number): void {
    this.forgetWhere((datagram) =>
      this.#held.get(datagram.data)?.holder.workerId === workerId
    );
  }

  receive(maxSize: number): Promise<Datagram> {
    this.maxSize = maxSize;
    return this.next("receive");
  }

  /**
   * Sends from the server's own socket while it has one. Replies to a
   * datagram a worker received leave from the handler, in that worker.
   */
  send(data: Uint8Array, to: NetAddress): Promise<void> {
    if (this.own) return this.own.send(data, to);
    return Promise.reject(
      new SocketError(
        "EOPNOTSUPP",
        "the workers receive on this port themselves and the server holds no socket: reply from the handler",
      ),
    );
  }

  close(): Promise<void> {
    return this.shut((datagram) => {
      const held = this.#held.get(datagram.data);
      if (held && !held.served) held.holder.drop(held.held);
    });
  }

  protected takeOwn(own: DatagramEndpoint<NetAddress>): Promise<boolean> {
    return this.pending ??= own.receive(this.maxSize).then((datagram) => {
      this.pending = undefined;
      if (!this.closed) this.deliver(datagram);
      return true;
    }, (error) => {
      // A socket that closed under it is gone: no receive on it again.
      if (this.own === own && error instanceof ServerClosedError) {
        this.own = undefined;
      }
      this.pending = undefined;
      if (this.waiting && this.own !== own) this.pull();
      else if (this.waiting && !(error instanceof ServerClosedError)) {
        // An ICMP error of an earlier send, say: receive again.
        setTimeout(() => this.pull(), 10);
      }
      return false;
    });
  }
}
