/**
 * The pool's side of workers that listen on the server's port themselves
 * (`listenInThreads`, `listenInChildren`): it tells each worker to listen
 * (or, for a UDP server, to bind), counts those that do for the server's
 * socket (which holds the port while none does), and turns what they
 * accept into {@linkcode HeldConn}s, and what they receive into held
 * datagrams, for the server's loop. The worker's side is `port_share.ts`
 * and `packet_share.ts`.
 *
 * @module
 */

import { deferred } from "../_deferred.ts";
import { WorkerError } from "../errors.ts";
import type { HandoffSettings } from "../server/stream_server.ts";
import type {
  NetAddress,
  TcpListenOptions,
  UdpBindOptions,
} from "../transport.ts";
import { fromWire, type FromWorker, type ToWorker } from "./messages.ts";
import { type HeldPacket, SharedEndpoint } from "./shared_endpoint.ts";
import {
  HeldConn,
  type Holder,
  type SharedListener,
} from "./shared_listener.ts";
import type { Slot } from "./slot.ts";

/** What a worker says about its own listener. */
export type ListenerMessage = FromWorker & {
  t:
    | "sharing"
    | "shareFailed"
    | "accepted"
    | "received"
    | "packetFailed"
    | "drained"
    | "paused";
};

/** Where a handler a UDP worker ran on its own failed: for `handleError`. */
export type PacketFailed = (
  data: Uint8Array,
  from: NetAddress,
  error: Error,
) => void;

/** Where the workers listen: a TCP port, or a UDP one and its datagrams' size. */
export type ShareOptions =
  | { tcp: TcpListenOptions }
  | { udp: UdpBindOptions; maxPacketSize: number };

/** How a pool's workers listen on the server's port. */
export class ListeningWorkers {
  /** The server's socket, which the workers' connections or datagrams reach. */
  readonly listener: SharedListener | SharedEndpoint;
  #driver: string;
  #options: ShareOptions;
  #settings: HandoffSettings;
  #slots: readonly Slot[];
  #send: (slot: Slot, message: ToWorker) => void;
  /** Set once the server's listener closed: no worker listens again. */
  #stopped = false;
  /** Whether UDP workers serve on their own (packet_share.ts). */
  #auto = false;
  #packetFailed: PacketFailed;

  /**
   * @param listener The server's listener or UDP socket.
   * @param driver The name of the driver the workers listen with.
   * @param options The options of the server's socket.
   * @param settings What workers apply to their connections.
   * @param slots The pool's workers (the pool's own array).
   * @param send Sends a worker a message.
   * @param packetFailed Reports a handler a UDP worker ran on its own.
   */
  constructor(
    listener: SharedListener | SharedEndpoint,
    driver: string,
    options: ShareOptions,
    settings: HandoffSettings,
    slots: readonly Slot[],
    send: (slot: Slot, message: ToWorker) => void,
    packetFailed: PacketFailed,
  ) {
    this.#packetFailed = packetFailed;
    this.listener = listener;
    this.#driver = driver;
    this.#options = options;
    this.#settings = settings;
    this.#slots = slots;
    this.#send = send;
  }

  /** Tells a ready worker to listen; resolves once it does. */
  listenIn(slot: Slot): Promise<void> {
    if (this.#stopped || !slot.link) return Promise.resolve();
    slot.sharing = deferred();
    const options = this.#options;
    this.#send(slot, {
      t: "share",
      driver: this.#driver,
      settings: this.#settings,
      ...("tcp" in options ? { options: options.tcp } : {
        options: options.udp,
        maxPacketSize: options.maxPacketSize,
        auto: this.#auto,
      }),
    });
    return slot.sharing.promise;
  }

  /** Whether UDP workers serve what they receive on their own. */
  get auto(): boolean {
    return this.#auto;
  }

  /**
   * Has UDP workers serve what they receive on their own (`true`), or hold
   * it for the server's loop; resolves once every worker told to hold does.
   */
  async setAuto(auto: boolean): Promise<void> {
    if (this.#auto === auto || "tcp" in this.#options) return;
    this.#auto = auto;
    for (const slot of this.#slots) {
      if (!slot.link) continue;
      if (!auto) slot.pausing = deferred();
      this.#send(slot, { t: "auto", on: auto });
    }
    if (!auto) {
      await Promise.all(this.#slots.map((slot) => slot.pausing?.promise));
    }
  }

  /** The workers stop listening on the port (the server closed it). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const udp = !("tcp" in this.#options);
    for (const slot of this.#slots) {
      if (udp && slot.link) slot.draining = deferred();
      this.#send(slot, { t: "unshare" });
    }
  }

  /**
   * Resolves once every UDP worker closed its socket and the handlers it
   * ran on its own returned (or it died).
   */
  async drained(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.draining?.promise));
  }

  /** The datagram a worker holds with `data`, if one does. */
  heldPacket(data: Uint8Array): HeldPacket | undefined {
    const { listener } = this;
    return listener instanceof SharedEndpoint
      ? listener.heldOf(data)
      : undefined;
  }

  /**
   * The slot whose worker holds a connection or datagram.
   *
   * @throws {WorkerError} If that worker has ended.
   */
  holderOf(held: { holder: Holder }): Slot {
    const { workerId } = held.holder;
    const slot = this.#slots.find((slot) =>
      slot.workerId === workerId && slot.link
    );
    if (!slot) {
      throw new WorkerError(
        `worker ${workerId} ended before it could serve this request`,
      );
    }
    return slot;
  }

  /**
   * What a worker says about its own listener.
   *
   * @param failed Called when it could not listen.
   */
  receive(
    slot: Slot,
    m: ListenerMessage,
    failed: (error: WorkerError) => void,
  ): void {
    if (m.t === "sharing") {
      slot.sharing?.resolve();
      return this.#listening(slot, true);
    }
    if (m.t === "shareFailed") {
      const error = new WorkerError(
        `worker ${slot.workerId} could not listen on the server's port: ${m.error.message}`,
      );
      slot.sharing?.reject(error);
      return failed(error);
    }
    if (m.t === "drained") return slot.draining?.resolve();
    if (m.t === "paused") return slot.pausing?.resolve();
    if (m.t === "packetFailed") {
      return this.#packetFailed(m.bytes, m.from, fromWire(m.error));
    }
    const holder = this.#holderOf(slot);
    const { listener } = this;
    if (m.t === "received") {
      if (listener instanceof SharedEndpoint) {
        const held = { holder, held: m.held, served: false };
        listener.push({ data: m.bytes, from: m.from }, held);
      }
      return;
    }
    if (listener instanceof SharedEndpoint) return;
    const { local, remote } = m as { local: NetAddress; remote: NetAddress };
    listener.push(new HeldConn(holder, m.held, local, remote));
  }

  /** The slot's holder, made once per worker, not per connection or datagram. */
  #holderOf(slot: Slot): Holder {
    const workerId = slot.workerId;
    if (slot.holder?.workerId === workerId) return slot.holder;
    return slot.holder = {
      workerId,
      drop: (held: number) => {
        if (slot.workerId === workerId) this.#send(slot, { t: "drop", held });
      },
    };
  }

  /**
   * A worker stopped: the connections it held died with it, and it no
   * longer listens; unless the pool is closing, the count changes.
   */
  lost(slot: Slot, closing: boolean): void {
    this.listener.forget(slot.workerId);
    slot.draining?.resolve();
    slot.pausing?.resolve();
    if (!closing) this.#listening(slot, false);
  }

  /**
   * Counts the workers listening on the port for the server's listener,
   * which holds the port itself while none does.
   */
  #listening(slot: Slot, listens: boolean): void {
    if (slot.listening === listens) return;
    slot.listening = listens;
    if (this.#stopped) return;
    this.listener.listening(
      this.#slots.filter((each) => each.listening).length,
    );
  }
}
