/**
 * A worker's side of a handover: the server's settings first, then each
 * connection it moves here with its socket, served here as its own
 * listener would (the TLS handshake first, bounded the same way). Child
 * processes get them over their IPC channel (`child.ts`), Node's worker
 * threads in a `postMessage` (`../node/thread.ts`).
 *
 * @module
 */

import type { Socket } from "node:net";
import type { ToChild } from "../../src/pool/messages.ts";
import type { Adopted } from "../../src/pool/worker_main.ts";
import type { HandoffSettings } from "../../src/server/stream_server.ts";
import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import { NodeConn, secureHandshakes } from "./conn.ts";

/**
 * Serves a passed socket with the runtime's own sockets, or returns
 * `undefined` to leave it to `node:net`.
 */
export type AdoptNative = <A extends SocketAddress>(
  socket: Socket,
  local: A,
  remote: A,
) => StreamConn<A> | undefined;

/**
 * Returns the listener for what the server sends about handed-over
 * connections; `handle` is the socket that came with an `adopt`. Plain
 * connections go to `native` first (Bun's children), TLS ones to
 * `node:tls`.
 */
export function takeOver(
  serve: (connection: Adopted) => void,
  native?: AdoptNative,
): (message: ToChild, handle: unknown) => void {
  let settings: HandoffSettings = {
    proxyHeaderTimeout: null,
    idleTimeout: null,
  };
  let secure: ReturnType<typeof secureHandshakes> | undefined;
  return (message, handle) => {
    if (message?.t === "streams") {
      settings = message.settings;
      if (settings.tls) secure = secureHandshakes(settings.tls, () => {});
      return;
    }
    if (message?.t !== "adopt") return;
    const { id, local, remote } = message;
    const raw = handle as Socket | undefined;
    // No socket (the client left as it was sent): nothing to serve.
    if (!raw) return serve({ id, settings, conn: null });
    const adopt = (socket: Socket) =>
      serve({ id, settings, conn: new NodeConn(socket, local, remote) });
    if (!secure) {
      const conn = native?.(raw, local, remote);
      if (conn) return serve({ id, settings, conn });
      // As the server's own listener: a reply may follow the client's FIN.
      raw.allowHalfOpen = true;
      adopt(raw);
    } else {
      secure.start(raw, adopt, () => serve({ id, settings, conn: null }));
    }
  };
}
