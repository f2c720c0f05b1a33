/**
 * The few members of Bun's API the Bun driver uses, typed here so the
 * package type-checks without Bun's ambient types (tsc, deno check, npm
 * consumers), and how to reach them.
 *
 * @module
 */

import type { SocketAddress, TlsOptions } from "../../src/transport.ts";
import type { BunConn } from "./conn.ts";

export interface BunSocket {
  data: BunConn<SocketAddress>;
  readonly fd?: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  write(data: Uint8Array): number;
  /** Without an argument, sends FIN; `true` would stop the reading side. */
  shutdown(halfClose?: boolean): void;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(enable: boolean): boolean;
  /** Gives this socket a new handler set (Bun 1.1+). */
  reload?(options: { socket: Partial<BunHandlers> }): void;
}
export interface BunHandlers {
  binaryType: "uint8array";
  open(socket: BunSocket): void;
  data(socket: BunSocket, chunk: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
  handshake?(socket: BunSocket, success: boolean): void;
}
export interface BunListener {
  readonly hostname: string;
  readonly port: number;
  readonly fd?: number;
  /** Fills `out` with the bound address (what `hostname` was resolved to). */
  getsockname?(out: { address?: string; port?: number }): void;
  stop(closeActiveConnections?: boolean): void;
}
export interface BunUdpSocket {
  readonly hostname: string;
  readonly port: number;
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}
export interface BunApi {
  listen(
    options:
      & ({ hostname: string; port: number; reusePort?: boolean } | {
        unix: string;
      })
      & { allowHalfOpen: boolean; tls?: TlsOptions; socket: BunHandlers },
  ): BunListener;
  udpSocket(options: {
    hostname: string;
    port: number;
    binaryType: "uint8array";
    socket: {
      data(s: BunUdpSocket, data: Uint8Array, port: number, addr: string): void;
      drain(s: BunUdpSocket): void;
      error(s: BunUdpSocket, error: Error): void;
    };
  }): Promise<BunUdpSocket>;
  /** Serves an already connected descriptor (`fd`) with `socket`. */
  connect(options: {
    fd: number;
    allowHalfOpen: boolean;
    data: unknown;
    socket: BunHandlers;
  }): Promise<BunSocket>;
  spawn(cmd: string[], options: {
    stdio: [Uint8Array, "inherit", "inherit"];
  }): {
    readonly pid: number;
    readonly exited: Promise<number>;
    readonly signalCode: string | null;
    kill(signal?: string): void;
  };
}

/** The `Bun` global; only called once a driver method runs on Bun. */
export function bun(): BunApi {
  return (globalThis as unknown as { Bun: BunApi }).Bun;
}
