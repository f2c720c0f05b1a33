/**
 * The pool's side of workers that listen on the server's port themselves
 * (`listenInThreads`, `listenInChildren`): it tells each worker to listen,
 * counts those that do for the server's listener (which holds the port
 * while none does), and turns what they accept into {@linkcode HeldConn}s
 * for the server's loop. The worker's side is `port_share.ts`.
 *
 * @module
 */

import { deferred } from "../_deferred.ts";
import { WorkerError } from "../errors.ts";
import type { HandoffSettings } from "../server/stream_server.ts";
import type { NetAddress, TcpListenOptions } from "../transport.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { HeldConn, type SharedListener } from "./shared_listener.ts";
import type { Slot } from "./slot.ts";

/** What a worker says about its own listener. */
export type ListenerMessage = FromWorker & {
  t: "sharing" | "shareFailed" | "accepted";
};

/** How a pool's workers listen on the server's port. */
export class ListeningWorkers {
  /** The server's listener, which the workers' connections reach. */
  readonly listener: SharedListener;
  #driver: string;
  #options: TcpListenOptions;
  #settings: HandoffSettings;
  #slots: readonly Slot[];
  #send: (slot: Slot, message: ToWorker) => void;
  /** Set once the server's listener closed: no worker listens again. */
  #stopped = false;

  /**
   * @param listener The server's listener.
   * @param driver The name of the driver the workers listen with.
   * @param options The options of the server's listener.
   * @param settings What workers apply to their connections.
   * @param slots The pool's workers (the pool's own array).
   * @param send Sends a worker a message.
   */
  constructor(
    listener: SharedListener,
    driver: string,
    options: TcpListenOptions,
    settings: HandoffSettings,
    slots: readonly Slot[],
    send: (slot: Slot, message: ToWorker) => void,
  ) {
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
    this.#send(slot, {
      t: "share",
      driver: this.#driver,
      options: this.#options,
      settings: this.#settings,
    });
    return slot.sharing.promise;
  }

  /** The workers stop listening on the port (the server closed it). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const slot of this.#slots) this.#send(slot, { t: "unshare" });
  }

  /**
   * The slot whose worker holds `conn`.
   *
   * @throws {WorkerError} If that worker has ended.
   */
  holderOf(conn: HeldConn): Slot {
    const slot = this.#slots.find((slot) =>
      slot.workerId === conn.holder.workerId && slot.link
    );
    if (!slot) {
      throw new WorkerError(
        `worker ${conn.holder.workerId} ended before it could serve this connection`,
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
    const workerId = slot.workerId;
    const holder = {
      workerId,
      drop: (held: number) => {
        if (slot.workerId === workerId) this.#send(slot, { t: "drop", held });
      },
    };
    const { local, remote } = m as { local: NetAddress; remote: NetAddress };
    this.listener.push(new HeldConn(holder, m.held, local, remote));
  }

  /**
   * A worker stopped: the connections it held died with it, and it no
   * longer listens; unless the pool is closing, the count changes.
   */
  lost(slot: Slot, closing: boolean): void {
    this.listener.forget(slot.workerId);
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
