/**
 * The server's own socket on a port its workers share (`SO_REUSEPORT`):
 * it holds the port only while no worker does, so clients wait in its
 * queue instead of being refused. What {@linkcode SharedListener} (TCP) and
 * {@linkcode SharedEndpoint} (UDP) have in common.
 *
 * @module
 */

/** How long the server's own socket is drained before it closes. */
const DRAIN_MS = 5;
/** How many connections or datagrams the drain takes at most. */
const DRAIN_MAX = 256;

/**
 * Keeps the server's own socket open while no worker holds the port:
 * before the first does, and again whenever every worker is being
 * replaced ({@linkcode listening}).
 *
 * @typeParam S The socket: a listener or a UDP socket.
 */
export abstract class OwnSocket<S extends { close(): Promise<void> }> {
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
  #onError: (error: Error) => void;

  /**
   * @param own The server's own socket: it holds the port until the
   * workers do.
   * @param reopen Opens it again when every worker stops.
   * @param onError Reports a failure to open it again.
   */
  constructor(
    own: S,
    reopen: () => Promise<S>,
    onError: (error: Error) => void,
  ) {
    this.own = own;
    this.#reopen = reopen;
    this.#onError = onError;
  }

  /**
   * Takes one connection or datagram from `own` into the queue (or joins
   * the {@linkcode pending} take): `true` if one came.
   */
  protected abstract takeOwn(own: S): Promise<boolean>;

  /** The socket is open again: the subclass takes from it if it waits. */
  protected abstract reopened(): void;

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
      this.reopened();
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

  /** Waits for a reopening in progress, then releases the socket. */
  protected async closeOwn(): Promise<void> {
    await this.#opening;
    await this.release();
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
