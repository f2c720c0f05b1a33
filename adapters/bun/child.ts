/**
 * The entry module of a child process on Bun: a plain connection passed to
 * it is served with Bun's own socket, as Bun.listen's are (at 100 clients
 * 1.0-1.3x the event loop's CPU per echo, 1.4-1.9x through `node:net`).
 *
 * @module
 */

import { serveChild } from "../_node/child_serve.ts";
import { adoptPassed } from "./adopt.ts";

await serveChild(adoptPassed);
