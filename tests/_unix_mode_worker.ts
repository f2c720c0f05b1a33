// Run in a worker thread by tests/unix_path_test.ts: a Unix server with the
// mode option, which needs the process umask that workers may not set.

import { existsSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { UnixStreamServer } from "../mod.ts";
import { LineEcho } from "./_helpers.ts";

const { path } = workerData as { path: string };
const server = new UnixStreamServer({ path }, LineEcho, { mode: 0o600 });
try {
  await server.ready();
  parentPort!.postMessage({ error: "none", exists: existsSync(path) });
} catch (error) {
  parentPort!.postMessage({
    error: (error as Error).name,
    exists: existsSync(path),
  });
} finally {
  await server.serverClose();
}
