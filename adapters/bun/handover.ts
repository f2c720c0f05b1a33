/**
 * The server's side of handing a connection to a Bun worker thread. Bun's
 * `postMessage` refuses sockets, but threads share the process's
 * descriptors: the server duplicates the connection's descriptor, posts
 * the copy, and closes its own, which leaves the connection open (no FIN:
 * the copy still refers to it). The worker serves the copy with
 * `Bun.connect({ fd })` (`thread.ts`). {@linkcode Claims} settles who
 * closes a copy whose worker dies before taking it.
 *
 * @module
 */

import { WorkerError } from "../../src/errors.ts";
import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import { handOver } from "../_node/conn.ts";
import type { Handover } from "../_shared/web_worker.ts";
import { type Unread, unreadBytes } from "./adopt.ts";
import { Claims } from "./claims.ts";
import type { Libc } from "./libc.ts";

/** What the server's `node:net` socket (accepted paused) gives up. */
interface Released extends Unread {
  _handle?: { fd?: number };
  destroy(): void;
}

/**
 * Hands plain TCP connections to Bun's worker threads by descriptor.
 *
 * @param calls `dup()` and `close()`.
 * @returns The handover, for `startWebWorker`.
 *
 * @example Runs on Bun only, so `deno test --doc` skips it
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { libc } from "./libc.ts";
 * import { descriptorHandover } from "./handover.ts";
 *
 * assert.equal(descriptorHandover(libc()!).entry, "bun/thread");
 * ```
 */
export function descriptorHandover(calls: Libc): Handover {
  return {
    entry: "bun/thread",
    start(post) {
      const claims = new Claims();
      post({ t: "claims", buffer: claims.buffer });
      return {
        pass(message: unknown, conn?: StreamConn<SocketAddress>) {
          let socket: Released | undefined;
          try {
            socket = conn && handOver(conn) as unknown as Released | undefined;
          } catch (error) {
            return Promise.reject(error);
          }
          // No connection, or its client left already: nothing to take.
          if (!socket) {
            post(message);
            return Promise.resolve();
          }
          const fd = socket._handle?.fd;
          const copy = typeof fd === "number" && fd >= 0 ? calls.dup(fd) : -1;
          const ticket = copy < 0 ? -1 : claims.claim(copy);
          if (ticket < 0) {
            if (copy >= 0) calls.close(copy);
            socket.destroy();
            return Promise.reject(
              new WorkerError(
                copy < 0
                  ? "could not duplicate the connection's descriptor"
                  : "too many connections are on their way to this worker",
              ),
            );
          }
          // Bytes read before it was released come first.
          const early = unreadBytes(socket);
          post({ ...(message as object), fd: copy, ticket, early });
          socket.destroy(); // this thread's descriptor, not the connection
          return Promise.resolve();
        },
        end() {
          claims.reclaim((fd) => calls.close(fd));
        },
      };
    },
  };
}
