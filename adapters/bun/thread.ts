/**
 * The entry module of a Bun worker thread that takes connections over:
 * the server posts each one's descriptor (`handover.ts`), served here with
 * Bun's own sockets.
 *
 * @module
 */

import type { ToChild } from "../../src/pool/messages.ts";
import { type Adopted, serveParent } from "../../src/pool/worker_main.ts";
import type { HandoffSettings } from "../../src/server/stream_server.ts";
import { webParent } from "../_shared/web_parent.ts";
import { bindInWorker, listenInWorker } from "../_shared/worker_listen.ts";
import { adoptDescriptor } from "./adopt.ts";
import { Claims } from "./claims.ts";

/** An `adopt` with what `handover.ts` adds to it. */
type Passed = Extract<ToChild, { t: "adopt" }> & {
  fd?: number;
  ticket?: number;
  early?: Uint8Array;
};

let claims: Claims | undefined;
let settings: HandoffSettings = { proxyHeaderTimeout: null, idleTimeout: null };
let serve: ((connection: Adopted) => void) | undefined;

/** Serves a passed descriptor, once this thread owns it. */
function take(m: Passed): void {
  const { id, local, remote } = m;
  const fd = m.ticket === undefined ? undefined : claims?.take(m.ticket);
  if (fd === undefined) return serve?.({ id, settings, conn: null });
  adoptDescriptor(fd, local, remote, m.early).then(
    (conn) => serve?.({ id, settings, conn }),
    () => serve?.({ id, settings, conn: null }),
  );
}

/** This thread's part of the handover; the rest goes to the worker loop. */
function handover(message: unknown): boolean {
  const m = message as ToChild | { t: "claims"; buffer: SharedArrayBuffer };
  if (m.t === "claims") claims = new Claims(m.buffer);
  else if (m.t === "streams") settings = m.settings;
  else if (m.t === "adopt") take(m as Passed);
  else return false;
  return true;
}

serveParent({
  ...webParent(handover),
  adopt: (server) => {
    serve = server;
  },
  listenTcp: listenInWorker,
  bindUdp: bindInWorker,
});
