/**
 * The entry module of a child process on Deno and Node: connections passed
 * to it are served through `node:net` (see `child_serve.ts`).
 *
 * @module
 */

import { serveChild } from "./child_serve.ts";

await serveChild();
