/**
 * Starts a child process with an IPC channel, through `node:child_process`
 * on every runtime: the one way all three can send a socket to another
 * process (`child.send(message, socket)`, file descriptors over a Unix
 * socket pair). Each driver gives the command that runs its runtime.
 *
 * @module
 */

import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { WorkerError } from "../../src/errors.ts";
import type { ChildExit, ChildProcessHandle } from "../../src/host.ts";
import type { SocketAddress, StreamConn } from "../../src/transport.ts";
import { handOver } from "./conn.ts";

/**
 * Spawns `command` with `args`, its stdout and stderr shared with this
 * process, `stdin` written to its standard input (then closed), and an IPC
 * channel for {@linkcode ChildProcessHandle.pass}.
 *
 * @param command The runtime's executable.
 * @param args Its arguments, the entry module last.
 * @param stdin What the child reads first.
 * @returns The child.
 */
export function spawnWithIpc(
  command: string,
  args: string[],
  stdin: string,
): ChildProcessHandle {
  const child = spawn(command, args, {
    stdio: ["pipe", "inherit", "inherit", "ipc"],
  });
  child.stdin?.on("error", () => {}); // a child that died at once
  child.stdin?.end(stdin);
  // A child gone mid-send: the pending sends fail, and its exit is reported.
  child.on("error", () => {});
  const exited = new Promise<ChildExit>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    child.on(
      "error",
      (error) => resolve({ code: null, signal: null, error: error.message }),
    );
  });
  return {
    pid: child.pid ?? -1,
    exited,
    kill(): void {
      child.kill("SIGKILL");
    },
    pass(message: unknown, conn?: StreamConn<SocketAddress>): Promise<void> {
      let socket: Socket | undefined;
      try {
        socket = conn === undefined ? undefined : handOver(conn);
      } catch (error) {
        return Promise.reject(error);
      }
      if (!child.connected) {
        socket?.destroy();
        return Promise.reject(new WorkerError("the child process is gone"));
      }
      return new Promise((resolve, reject) => {
        // deno-lint-ignore no-explicit-any
        child.send(message as any, socket, (error) => {
          // Sent: the child has its own descriptor. Node has let go of
          // this one already; Bun's would stay open until destroyed.
          socket?.destroy();
          if (!error) return resolve();
          reject(
            new WorkerError(`could not pass to the child: ${error.message}`),
          );
        });
      });
    },
  };
}
