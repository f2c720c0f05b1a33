/**
 * The server's own socket on a port its workers share (`SO_REUSEPORT`):
 * it holds the port only while no worker does, so clients wait in its
 * queue instead of being refused. What {@linkcode SharedListener} (TCP) and
 * {@linkcode SharedEndpoint} (UDP) have in common.
 *
 * @module
 */

import { ServerClosedError } from "../errors.ts";

/** How long the server's own socket is drained before it closes. */
const DRAIN_MS = 5;
/** How many connections or datagrams the drain takes at most. */
const DRAIN_MAX = 256;

/**
 * Keeps the server's own socket open while no worker holds the port:
 * before the first does, and again whenever every worker is being
 * replaced ({@linkcode listening}). What the workers and that socket take
 * waits in one queue for the server's one `accept()` or `receive()`.
 *
 * @typeParam S The socket: a listener or a UDP socket.
 * @typeParam T What it yields: connections or datagrams.
 */
export abstract class OwnSocket<S extends { close(): Promise<void> }, T> {
  /** The server's own socket, while it has one. */
  protected own: S | undefined;
  /** Set by the subclass's `close()`: the socket is not opened again. */
  protected closed = false;
  /** The pending take on the server's own socket: one at a time. */
  protected pending: Promise<boolean> | undefined;
  #reopen: () => Promise<S>;
  #opening: Promise<void> | undefined;
  #releasing: Promise<void> | undefined;
  #workers = 0;
  #onClose: () => void;
  #onError: (error: Error) => void;
  #queue: T[] = [];
  #waiting: {
    resolve(item: T): void;
    reject(error: Error): void;
  } | undefined;

  /**
   * @param own The server's own socket: it holds the port until the
   * workers do.
   * @param reopen Opens it again when every worker stops.
   * @param onClose Tells the workers to close their sockets.
   * @param onError Reports a failure to open it again.
   */
  constructor(
    own: S,
    reopen: () => Promise<S>,
    onClose: () => void,
    onError: (error: Error) => void,
  ) {
    this.own = own;
    this.#reopen = reopen;
    this.#onClose = onClose;
    this.#onError = onError;
  }

  /**
   * Takes one connection or datagram from `own` into the queue (or joins
   * the {@linkcode pending} take): `true` if one came.
   */
  protected abstract takeOwn(own: S): Promise<boolean>;

  /** Whether the server waits in `accept()` or `receive()`. */
  protected get waiting(): boolean {
    return this.#waiting !== undefined;
  }

  /** Hands `item` to the waiting server, or queues it. */
  protected deliver(item: T): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) waiting.resolve(item);
    else this.#queue.push(item);
  }

  /**
   * The next item: a queued one, or the next to come; one caller at a
   * time (`what` names the call in the error).
   */
  protected next(what: string): Promise<T> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift()!);
    if (this.closed) return Promise.reject(new ServerClosedError());
    if (this.#waiting) {
      return Promise.reject(new Error(`${what}(): one ${what} at a time`));
    }
    const next = new Promise<T>((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
    this.pull();
    return next;
  }

  /** Drops the queued items `gone` picks (a dead worker's). */
  protected forgetWhere(gone: (item: T) => boolean): void {
    this.#queue = this.#queue.filter((item) => !gone(item));
  }

  /** Empties the queue: what was queued, oldest first. */
  protected takeQueued(): T[] {
    const taken = this.#queue;
    this.#queue = [];
    return taken;
  }

  /**
   * Takes one item from the server's own socket, only while the server
   * waits for one: what a flood costs stays in the kernel's queue.
   */
  protected pull(): void {
    const own = this.own;
    if (own && !this.pending) void this.takeOwn(own);
  }

  /**
   * Closes for good: tells the workers, gives each queued item to
   * `dispose`, fails the waiting call, and closes the server's own socket.
   */
  protected async shut(dispose: (item: T) => void): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#onClose();
    for (const item of this.takeQueued()) dispose(item);
    this.#waiting?.reject(new ServerClosedError());
    this.#waiting = undefined;
    await this.#opening;
    await this.release();
  }

  /**
   * How many workers hold the port now: at the first, the server's own
   * socket closes ({@linkcode release}); at none, it opens again.
   */
  listening(count: number): void {
    this.#workers = count;
    if (count > 0) {
      void this.release();
      return;
    }
    if (this.closed || this.own || this.#opening) return;
    this.#opening = this.#reopen().then((own) => {
      this.#opening = undefined;
      if (this.closed || this.#workers > 0) return void own.close();
      this.own = own;
      if (this.#waiting) this.pull();
    }, (error) => {
      this.#opening = undefined;
      this.#onError(error);
    });
  }

  /**
   * Closes the server's own socket, once what waits in its queue is taken
   * (closing would drop it): until nothing comes for `DRAIN_MS`. Resolves
   * once it is closed.
   */
  release(): Promise<void> {
    const own = this.own;
    if (!own) return this.#releasing ?? Promise.resolve();
    this.own = undefined;
    return this.#releasing = this.#drain(own).finally(() => {
      this.#releasing = undefined;
    });
  }

  async #drain(own: S): Promise<void> {
    for (let taken = 0; taken < DRAIN_MAX && !this.closed; taken++) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const quiet = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), DRAIN_MS);
      });
      const took = await Promise.race([this.takeOwn(own), quiet]);
      clearTimeout(timer);
      if (!took) break;
    }
    await own.close().catch(() => {});
    // One taken as it closed is served all the same.
    await this.pending;
  }
}
