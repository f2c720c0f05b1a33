/**
 * A worker's own listener (`ParentPort.listenTcp`), in a thread or a child
 * process, opened with the sockets of the server's driver, named in the
 * server's message: the worker runs the same runtime, so it composes the
 * same driver.
 *
 * @module
 */

import type {
  NetAddress,
  StreamListener,
  TcpListenOptions,
} from "../../src/transport.ts";

/**
 * Opens a TCP listener with the public driver named `driver`.
 *
 * @param driver `"deno"`, `"bun"` or `"node"`.
 * @param options Where and how to listen; `reusePort` is set.
 * @returns The listener.
 */
export async function listenInWorker(
  driver: string,
  options: TcpListenOptions,
): Promise<StreamListener<NetAddress>> {
  // Loaded only by workers that listen: the others never need it.
  const { denoDriver, bunDriver, nodeDriver } = await import("../drivers.ts");
  const found = { deno: denoDriver, bun: bunDriver, node: nodeDriver }[driver];
  if (!found) throw new Error(`no driver named ${driver} in this worker`);
  return found.listenTcp(options);
}
