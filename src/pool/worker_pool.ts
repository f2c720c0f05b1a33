/**
 * The server's side of a pool of worker threads or child processes.
 *
 * How requests reach workers: the server keeps accepting (and receiving
 * datagrams) on its own socket, so `verifyRequest`, `maxConnections` and
 * the choice of the least busy worker stay here. A child process then takes
 * a stream connection over, its descriptor sent on the child's IPC channel,
 * and serves it itself; so does a thread on Node 24.20 and later, for TCP
 * (the socket moves in a `postMessage`). Elsewhere (Deno's and Bun's
 * threads, Unix sockets to threads) a connection's bytes are relayed over
 * the worker's message channel (a copy and a message per chunk, at most
 * `RELAY_WINDOW` ahead), as are datagrams for both kinds. With
 * `listenInThreads` or `listenInChildren` the workers of a TCP or UDP
 * server each listen on its port themselves instead (`SO_REUSEPORT`, see
 * `port_share.ts` and `packet_share.ts`): the kernel's hash picks the
 * worker, and the server still verifies and counts each request.
 *
 * @module
 */

import { type Deferred, deferred } from "../_deferred.ts";
import { describeAddress } from "../address.ts";
import { WorkerError } from "../errors.ts";
import type { DatagramSocket } from "../io/datagram_socket.ts";
import { streamConnOf, StreamSocket } from "../io/stream_socket.ts";
import type { WorkerLink } from "../host.ts";
import type { SocketAddress } from "../transport.ts";
import { HeldConn, type SharedListener } from "./shared_listener.ts";
import type { SharedEndpoint } from "./shared_endpoint.ts";
import { ListeningWorkers, type ShareOptions } from "./listening_workers.ts";
import type { Job, Slot } from "./slot.ts";
import {
  fromWire,
  type FromWorker,
  type ToChild,
  type ToWorker,
} from "./messages.ts";
import { launchWorker, type PoolSettings } from "./launch.ts";

export type { PoolSettings } from "./launch.ts";
import { ownBytes, relayFromWorker, relayToWorker } from "./relay.ts";

/** The first wait before a worker that failed to start is tried again. */
const RETRY_FIRST_MS = 100;
/** The longest wait between tries: the pool keeps trying at this pace. */
const RETRY_MAX_MS = 10_000;

/** A request as the server's loop yields it. */
type Request =
  | StreamSocket
  | [Uint8Array, DatagramSocket<SocketAddress>];

/** A fixed number of workers, each serving many requests at once. */
export class WorkerPool {
  #settings: PoolSettings;
  #slots: Slot[] = [];
  #started = 0;
  #nextJob = 0;
  #closing = false;
  /** Set once start() succeeded: from then on failed workers are retried. */
  #running = false;
  /** Resolved when a worker becomes ready or the pool closes. */
  #readyChange: Deferred<void> | undefined;
  #idle: Deferred<void> | undefined;
  /** The jobs of connections handed to workers, by request. */
  #passed = new WeakMap<StreamSocket, Job>();
  #share: ListeningWorkers | undefined;

  /** @param settings What the workers run and how many there are. */
  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  /** The process ids of live child processes (none for threads). */
  get pids(): number[] {
    return this.#slots.flatMap((slot) =>
      slot.link && slot.pid !== undefined ? [slot.pid] : []
    );
  }

  /** How many workers are running. */
  get size(): number {
    return this.#slots.filter((slot) => slot.link).length;
  }

  /**
   * Starts every worker and waits until each has loaded the handler.
   *
   * @throws {WorkerError} If one cannot; then none is left running.
   */
  async start(): Promise<void> {
    for (let i = 0; i < this.#settings.size; i++) {
      const slot: Slot = {
        workerId: 0,
        link: undefined,
        pid: undefined,
        loaded: deferred(),
        ready: false,
        failed: undefined,
        failures: 0,
        retry: undefined,
        jobs: new Map(),
      };
      this.#slots.push(slot);
      this.#launch(slot);
    }
    try {
      await Promise.all(this.#slots.map((slot) => slot.loaded.promise));
    } catch (error) {
      await this.close();
      throw error;
    }
    this.#running = true;
  }

  /**
   * Resolves once a worker is ready to take a request, at once if one is;
   * rejects once the pool is closed. The server waits on it before taking
   * a request, so clients stay in the kernel's queue while every worker is
   * being replaced, instead of being accepted and failed.
   */
  async servable(): Promise<void> {
    for (;;) {
      if (this.#closing) throw new WorkerError("the server closed");
      if (this.#slots.some((slot) => slot.ready)) return;
      this.#readyChange ??= deferred();
      await this.#readyChange.promise;
    }
  }

  /**
   * Serves one request in a worker: relays its bytes both ways until the
   * handler returns.
   *
   * @returns Resolves when the handler has returned and its writes are
   * flushed; rejects with the handler's error, or a `WorkerError` if its
   * worker died.
   */
  async run(request: Request, client: SocketAddress): Promise<void> {
    // What a worker accepted or received on its own socket, if it did.
    const conn = request instanceof StreamSocket
      ? streamConnOf(request)
      : undefined;
    const held = conn instanceof HeldConn
      ? conn
      : request instanceof StreamSocket
      ? undefined
      : this.#share?.heldPacket(request[0]);
    const slot = held && this.#share
      ? this.#share.holderOf(held)
      : await this.#pick();
    const id = ++this.#nextJob;
    const job: Job = {
      id,
      slot,
      done: deferred(),
      finished: false,
      client,
      inflight: 0,
      written: 0,
      sending: 0,
      writing: Promise.resolve(),
      writes: 0,
    };
    slot.jobs.set(id, job);
    const limit = this.#settings.handlerTimeout;
    if (limit !== null) {
      job.timer = setTimeout(() => this.#hung(job, limit), limit);
    }
    const link = slot.link;
    if (held) {
      held.served = true;
      // A datagram's handler replies from the worker's own socket.
      if (held instanceof HeldConn) {
        this.#passed.set(request as StreamSocket, job);
      }
      this.#send(slot, { t: "serve", held: held.held, id });
    } else if (
      request instanceof StreamSocket && this.#settings.handoff &&
      this.#settings.passes && link?.pass
    ) {
      this.#passed.set(request, job);
      link.pass(
        {
          t: "adopt",
          id,
          local: request.localAddress,
          remote: client,
        } satisfies ToChild,
        streamConnOf(request),
      ).catch((error) => {
        if (job.finished) return;
        this.#finish(job);
        job.done.reject(error);
      });
    } else if (request instanceof StreamSocket) {
      job.stream = request;
      this.#send(slot, {
        t: "open",
        id,
        local: request.localAddress,
        remote: client,
      });
      void relayToWorker(
        job,
        request,
        (message, transfer) => this.#send(slot, message, transfer),
      );
    } else {
      const [packet, socket] = request;
      job.datagrams = socket;
      const bytes = ownBytes(packet);
      this.#send(slot, {
        t: "packet",
        id,
        bytes,
        local: socket.localAddress,
        remote: client,
      }, [bytes.buffer as ArrayBuffer]);
    }
    return await job.done.promise;
  }

  /**
   * Has every worker listen on the server's port itself, with the options
   * of the server's socket, and waits until they do; workers that replace
   * others later listen as they start. Connections they accept, or
   * datagrams they receive, reach `listener`.
   *
   * @throws {WorkerError} If a worker cannot listen.
   */
  async share(
    listener: SharedListener | SharedEndpoint,
    driver: string,
    options: ShareOptions,
  ): Promise<void> {
    const share = this.#share = new ListeningWorkers(
      listener,
      driver,
      options,
      this.#settings.handoff ?? { idleTimeout: null, proxyHeaderTimeout: null },
      this.#slots,
      (slot, message) => this.#send(slot, message),
      (data, from, error) => this.#settings.packetFailed?.(data, from, error),
    );
    await Promise.all(this.#slots.map((slot) => share.listenIn(slot)));
  }

  /** The workers stop listening on the port (the server closed it). */
  unshare(): void {
    this.#share?.stop();
  }

  /**
   * Has a UDP server's workers serve what they receive on their own
   * (`true`), or hold each datagram for the server's loop; resolves once
   * those told to hold do.
   */
  serveOnTheirOwn(auto: boolean): Promise<void> {
    return this.#share?.setAuto(auto) ?? Promise.resolve();
  }

  /**
   * Resolves once the UDP workers, told to stop, closed their sockets and
   * the handlers they ran on their own returned.
   */
  drained(): Promise<void> {
    return this.#share?.drained() ?? Promise.resolve();
  }

  /**
   * Closes a connection a worker serves itself, as the server closes its
   * requests (past `closeGrace`): the handler reads end of stream.
   */
  closeRequest(request: unknown): void {
    if (Array.isArray(request)) {
      // A datagram a worker holds, refused by verifyRequest: it forgets it.
      const held = this.#share?.heldPacket(request[0]);
      if (held && !held.served) {
        held.served = true;
        held.holder.drop(held.held);
      }
      return;
    }
    const job = this.#passed.get(request as StreamSocket);
    if (!job) return;
    this.#passed.delete(request as StreamSocket);
    // A handler that failed left its connection open for this.
    if (!job.finished || job.failed) {
      this.#send(job.slot, { t: "close", id: job.id });
    }
  }

  /** Resolves once no request is running in any worker. */
  async idle(): Promise<void> {
    while (this.#slots.some((slot) => slot.jobs.size > 0)) {
      this.#idle ??= deferred();
      await this.#idle.promise;
    }
  }

  /**
   * Stops every worker now. Requests still running end quietly: their
   * connections are closed by the server, nothing is reported.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#changed();
    const links: Promise<void>[] = [];
    for (const slot of this.#slots) {
      clearTimeout(slot.retry);
      for (const job of slot.jobs.values()) this.#finish(job);
      slot.loaded.reject(new WorkerError("the server closed"));
      slot.loaded.promise.catch(() => {});
      if (slot.link) links.push(slot.link.terminate().catch(() => {}));
      slot.link = undefined;
    }
    await Promise.all(links);
  }

  /** Starts (or restarts) the worker of a slot. */
  #launch(slot: Slot): void {
    const workerId = ++this.#started;
    slot.workerId = workerId;
    slot.ready = false;
    slot.loaded = deferred();
    slot.loaded.promise.catch(() => {}); // start() or #pick() report it
    const { kind } = this.#settings;
    let link: WorkerLink | undefined;
    const events = {
      message: (message: unknown) => {
        if (link && slot.link === link) {
          this.#receive(slot, message as FromWorker);
        }
      },
      exit: (how: string) => {
        if (link && slot.link === link) {
          this.#died(slot, `${kindName(kind)} ${workerId} ${how}`);
        }
      },
    };
    launchWorker(this.#settings, workerId, events, (started) => {
      if (this.#closing) return false;
      link = started;
      slot.link = started;
      slot.pid = started.pid;
      return true;
    }, (error) => this.#notStarted(slot, error));
  }

  /**
   * A worker failed before it was ready. While the pool starts, that fails
   * start(); later its slot is tried again after a wait that doubles from
   * 100 ms up to 10 s, and each failure is reported.
   */
  #notStarted(slot: Slot, error: Error): void {
    slot.loaded.reject(error);
    if (this.#closing) return;
    if (!this.#running) {
      slot.failed = error;
      return;
    }
    this.#settings.report(error);
    const wait = Math.min(RETRY_FIRST_MS * 2 ** slot.failures, RETRY_MAX_MS);
    slot.failures++;
    slot.retry = setTimeout(() => {
      slot.retry = undefined;
      if (!this.#closing) this.#launch(slot);
    }, wait);
  }

  /** Wakes whoever waits for a worker to become ready. */
  #changed(): void {
    const change = this.#readyChange;
    this.#readyChange = undefined;
    change?.resolve();
  }

  /**
   * Chooses the ready worker with the fewest requests, waiting while none
   * is ready (all being replaced).
   */
  async #pick(): Promise<Slot> {
    for (;;) {
      await this.servable();
      let best: Slot | undefined;
      for (const slot of this.#slots) {
        if (slot.ready && (!best || slot.jobs.size < best.jobs.size)) {
          best = slot;
        }
      }
      if (best) return best;
    }
  }

  #receive(slot: Slot, m: FromWorker): void {
    if (m.t === "ready") {
      if (this.#share && this.#running) {
        // A replacement listens on the port before it counts as ready.
        this.#share.listenIn(slot).then(() => this.#ready(slot), () => {});
        return;
      }
      this.#ready(slot);
      return;
    }
    if (
      m.t === "sharing" || m.t === "shareFailed" || m.t === "accepted" ||
      m.t === "received" || m.t === "packetFailed" || m.t === "drained" ||
      m.t === "paused"
    ) {
      return this.#share?.receive(slot, m, (error) => {
        if (this.#running) this.#startFailed(slot, error);
      });
    }
    if (m.t === "failed") {
      return this.#startFailed(
        slot,
        new WorkerError(
          `${
            kindName(this.#settings.kind)
          } ${slot.workerId} could not load the handler: ${m.error.message}`,
        ),
      );
    }
    if (m.t === "shutdown") {
      this.#settings.shutdown().then(
        () => this.#send(slot, { t: "shutdownDone", seq: m.seq }),
        () => this.#send(slot, { t: "shutdownDone", seq: m.seq }),
      );
      return;
    }
    const job = slot.jobs.get(m.id);
    if (!job || job.finished) return;
    if (m.t !== "done") {
      slot.reply ??= (message) => this.#send(slot, message);
      return relayFromWorker(job, m, slot.reply);
    }
    // The handler's writes reach the client before the server closes it.
    void job.writing.then(() => {
      if (job.finished) return;
      this.#finish(job);
      job.failed = m.error !== undefined;
      if (m.error) job.done.reject(fromWire(m.error));
      else job.done.resolve();
    });
  }
  /** A worker that could not get ready is stopped, and tried again. */
  #startFailed(slot: Slot, error: WorkerError): void {
    const link = slot.link;
    slot.link = undefined;
    this.#share?.lost(slot, false);
    void link?.terminate();
    this.#notStarted(slot, error);
  }

  /** A worker loaded the handler (and listens, if threads do). */
  #ready(slot: Slot): void {
    slot.ready = true;
    slot.failures = 0;
    slot.loaded.resolve();
    this.#changed();
  }

  /** A worker stopped: its requests fail, and a new worker takes its place. */
  #died(slot: Slot, how: string): void {
    const link = slot.link;
    slot.link = undefined;
    this.#share?.lost(slot, this.#closing);
    void link?.terminate().catch(() => {});
    if (this.#closing) return;
    const error = new WorkerError(how);
    slot.sharing?.reject(error);
    // The datagrams it served on its own were no request of the server's.
    if (this.#share?.auto) this.#settings.report(error);
    const wasReady = slot.ready;
    slot.ready = false;
    for (const job of slot.jobs.values()) {
      this.#finish(job);
      job.done.reject(error);
    }
    // One that dies before it is ready may die again: retry with a wait.
    if (!wasReady) return this.#notStarted(slot, error);
    slot.loaded.reject(error);
    this.#launch(slot);
  }

  /** A request ran past `handlerTimeout`: its worker is stopped. */
  #hung(job: Job, limit: number): void {
    if (job.finished) return;
    this.#died(
      job.slot,
      `${
        kindName(this.#settings.kind)
      } ${job.slot.workerId} was stopped: the handler for ${
        describeAddress(job.client)
      } ran longer than handlerTimeout (${limit} ms)`,
    );
  }

  #finish(job: Job): void {
    job.finished = true;
    clearTimeout(job.timer);
    job.slot.jobs.delete(job.id);
    job.credit?.resolve();
    job.credit = undefined;
    if (this.#closing) job.done.resolve();
    if (this.#idle && this.#slots.every((slot) => slot.jobs.size === 0)) {
      this.#idle.resolve();
      this.#idle = undefined;
    }
  }

  #send(slot: Slot, message: ToWorker, transfer?: ArrayBuffer[]): void {
    slot.link?.send(message, transfer);
  }
}

function kindName(kind: "thread" | "process"): string {
  return kind === "thread" ? "worker" : "child process";
}
