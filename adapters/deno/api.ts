/**
 * The few members of Deno's API the Deno driver uses, typed here so the
 * package type-checks without Deno's ambient types (tsc, npm consumers),
 * and how to reach them.
 *
 * @module
 */

export interface DenoAddr {
  transport: string;
  hostname?: string;
  port?: number;
  path?: string | null;
}
export interface DenoConn {
  readonly localAddr: DenoAddr;
  readonly remoteAddr: DenoAddr;
  read(into: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(enable?: boolean): void;
}
export interface DenoListener {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}
export interface DenoDatagramConn {
  readonly addr: DenoAddr;
  receive(into?: Uint8Array): Promise<[Uint8Array, DenoAddr]>;
  send(data: Uint8Array, to: DenoAddr): Promise<number>;
  close(): void;
}
export interface DenoApi {
  listen(
    options:
      | {
        hostname: string;
        port: number;
        transport: "tcp";
        reusePort?: boolean;
        tcpBacklog?: number;
      }
      | { path: string; transport: "unix" },
  ): DenoListener;
  listenDatagram?(
    options:
      | { hostname: string; port: number; transport: "udp" }
      | { path: string; transport: "unixpacket" },
  ): DenoDatagramConn;
  execPath(): string;
  Command: new (command: string, options: {
    args: string[];
    stdin: "piped";
    stdout: "inherit";
    stderr: "inherit";
  }) => {
    spawn(): {
      readonly pid: number;
      readonly stdin: WritableStream<Uint8Array>;
      readonly status: Promise<{ code: number; signal: string | null }>;
      kill(signal: string): void;
    };
  };
  permissions: {
    querySync(descriptor: { name: string }): { state: string };
  };
  addSignalListener(signal: string, listener: () => void): void;
  removeSignalListener(signal: string, listener: () => void): void;
}

/** The `Deno` global; only called once a driver method runs on Deno. */
export function deno(): DenoApi {
  return (globalThis as unknown as { Deno: DenoApi }).Deno;
}

/**
 * Whether `--unstable-net` is on: it gates datagrams and `reusePort` alike.
 *
 * @returns `true` when `Deno.listenDatagram` exists.
 */
export function hasUnstableNet(): boolean {
  return typeof deno().listenDatagram === "function";
}
