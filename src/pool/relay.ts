/**
 * The server's side of a relayed request: where a worker cannot take a
 * connection over, the server reads the client's bytes and sends them to
 * the worker, at most `RELAY_WINDOW` ahead of what the worker consumed,
 * and writes what the worker's handler writes, in order. Datagram replies
 * go the same way.
 *
 * @module
 */

import type { Deferred } from "../_deferred.ts";
import { deferred } from "../_deferred.ts";
import type { DatagramSocket } from "../io/datagram_socket.ts";
import type { StreamSocket } from "../io/stream_socket.ts";
import type { SocketAddress } from "../transport.ts";
import {
  type FromWorker,
  RELAY_WINDOW,
  toWire,
  type ToWorker,
  type WireError,
} from "./messages.ts";

/** The most bytes one relayed chunk carries: whatever one read gives. */
const MAX_CHUNK = 1 << 30;

/** Sends a message to the request's worker. */
type Send = (message: ToWorker, transfer?: ArrayBuffer[]) => void;

/** What the relay keeps of a request. */
export interface RelayedJob {
  id: number;
  finished: boolean;
  /** A relayed connection (one a worker took over is not relayed). */
  stream?: StreamSocket;
  datagrams?: DatagramSocket<SocketAddress>;
  /** Bytes sent to the worker and not yet consumed there. */
  inflight: number;
  credit?: Deferred<void>;
  /** Writes to the client, in the order the handler made them. */
  writing: Promise<void>;
  /** Writes (and a half-close) queued or running; at 0 the next one starts at once. */
  writes: number;
  writeError?: WireError;
  /** Bytes written to the client and not yet acknowledged to the worker. */
  written: number;
  /** The length of the write running now (one runs at a time). */
  sending: number;
  onWrote?: () => void;
  onWriteFailed?: (error: unknown) => void;
  /** Sends to the worker: what acknowledges the writes. */
  reply?: (message: ToWorker) => void;
}

/** A worker's message about one request's bytes. */
type RelayMessage = Exclude<
  FromWorker,
  { t: "ready" | "failed" | "shutdown" | "done" }
>;

/**
 * Relays what the client sends, at most `RELAY_WINDOW` bytes ahead.
 *
 * @param job The request.
 * @param socket Its connection.
 * @param send Sends to its worker.
 */
/** Relays what the client sends, at most `RELAY_WINDOW` bytes ahead. */
export async function relayToWorker(
  job: RelayedJob,
  socket: StreamSocket,
  send: Send,
): Promise<void> {
  try {
    for (;;) {
      while (job.inflight >= RELAY_WINDOW && !job.finished) {
        job.credit = deferred();
        await job.credit.promise;
      }
      if (job.finished) return;
      // recv(): the connection's own promise, one hop fewer than readChunk().
      const chunk = await socket.recv(MAX_CHUNK);
      if (job.finished) return;
      if (chunk.length === 0) {
        send({ t: "eof", id: job.id });
        return;
      }
      job.inflight += chunk.length;
      // The link copies a data message's bytes as it sends (batch.ts).
      send({ t: "data", id: job.id, bytes: chunk });
    }
  } catch (error) {
    if (!job.finished) {
      send({ t: "eof", id: job.id, error: toWire(error) });
    }
  }
}

/**
 * Carries out what a worker's handler did to its relayed request: a write,
 * a half-close, `TCP_NODELAY`, a datagram reply, or bytes it consumed.
 *
 * @param job The request.
 * @param m The worker's message.
 * @param send Sends to its worker.
 */
export function relayFromWorker(
  job: RelayedJob,
  m: RelayMessage,
  send: (message: ToWorker) => void,
): void {
  switch (m.t) {
    case "consumed":
      job.inflight -= m.n;
      job.credit?.resolve();
      job.credit = undefined;
      break;
    case "write": {
      job.reply = send;
      inOrder(job, write, m.bytes);
      break;
    }
    case "closeWrite": {
      inOrder(job, shutdown, undefined);
      break;
    }
    case "noDelay":
      try {
        job.stream?.setNoDelay(m.enable);
      } catch {
        // the connection is already gone
      }
      break;
    case "sendto":
      job.datagrams!.sendto(m.bytes, m.to).then(
        () => send({ t: "sent", seq: m.seq }),
        (error) => send({ t: "sent", seq: m.seq, error: toWire(error) }),
      );
      break;
  }
}

/**
 * Starts one write to the client; the request's earlier writes are done.
 * Its end is counted by callbacks made once per request, not per write: a
 * relayed echo makes none.
 */
function write(job: RelayedJob, bytes: Uint8Array): Promise<void> {
  job.sending = bytes.length;
  if (job.writeError !== undefined) {
    wrote(job);
    return Promise.resolve();
  }
  job.onWrote ??= () => wrote(job);
  job.onWriteFailed ??= (error: unknown) => {
    job.writeError = toWire(error);
    wrote(job);
  };
  return job.stream!.sendall(bytes).then(job.onWrote, job.onWriteFailed);
}

/**
 * Counts a write out. Acknowledged in batches, as the worker only waits
 * for them once RELAY_WINDOW bytes are outstanding; errors at once.
 */
function wrote(job: RelayedJob): void {
  job.writes--;
  job.written += job.sending;
  if (job.writeError || job.written >= RELAY_WINDOW / 2) {
    job.reply!({
      t: "ack",
      id: job.id,
      n: job.written,
      ...(job.writeError ? { error: job.writeError } : {}),
    });
    job.written = 0;
  }
}

/** Half-closes the client's connection once the writes before it are done. */
function shutdown(job: RelayedJob): Promise<void> {
  const shut = () => void job.writes--;
  return job.stream!.shutdown().then(shut, shut);
}

/**
 * Runs `op(job, arg)` after the request's earlier writes, or at once when
 * none is queued (the usual case: no chain to wait on, and no closure
 * made). `op` never rejects and counts itself out of `job.writes` when done.
 */
function inOrder<A>(
  job: RelayedJob,
  op: (job: RelayedJob, arg: A) => Promise<void>,
  arg: A,
): void {
  job.writing = job.writes++ === 0
    ? op(job, arg)
    : job.writing.then(() => op(job, arg));
}

/**
 * The bytes in a buffer of their own, to transfer. Always a copy: a
 * runtime may still own the buffer it read into, and a structured clone
 * would copy anyway.
 *
 * @param data The bytes.
 * @returns A copy.
 */
export function ownBytes(data: Uint8Array): Uint8Array {
  return data.slice();
}
