/**
 * A worker's own listener or UDP socket (`ParentPort.listenTcp`,
 * `ParentPort.bindUdp`), in a thread or a child process, opened with the
 * sockets of the server's driver, named in the server's message: the
 * worker runs the same runtime, so it composes the same driver.
 *
 * @module
 */

import type { Driver } from "../../src/driver.ts";
import type {
  DatagramEndpoint,
  NetAddress,
  StreamListener,
  TcpListenOptions,
  UdpBindOptions,
} from "../../src/transport.ts";

/** The public driver named `name`. */
async function driverNamed(name: string): Promise<Driver> {
  // Loaded only by workers that listen: the others never need it.
  const { denoDriver, bunDriver, nodeDriver } = await import("../drivers.ts");
  const found = { deno: denoDriver, bun: bunDriver, node: nodeDriver }[name];
  if (!found) throw new Error(`no driver named ${name} in this worker`);
  return found;
}

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
  return (await driverNamed(driver)).listenTcp(options);
}

/**
 * Binds a UDP socket with the public driver named `driver`.
 *
 * @param driver `"deno"`, `"bun"` or `"node"`.
 * @param options Where to bind; `reusePort` is set.
 * @returns The socket.
 */
export async function bindInWorker(
  driver: string,
  options: UdpBindOptions,
): Promise<DatagramEndpoint<NetAddress>> {
  return (await driverNamed(driver)).bindUdp(options);
}
