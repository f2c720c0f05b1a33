// A hostile local user against a socket file's mode, run as another user by
// tests/unix_path_test.ts: in a directory it may write, it replaces whatever
// is at the socket's path with a symlink to a file it may not touch, over
// and over, hoping the server's chmod follows it. Stops when stdin closes.
// Arguments: the socket path, the target file.

import { symlinkSync, unlinkSync } from "node:fs";

const [path, target] = process.argv.slice(2);
let swaps = 0;
let running = true;
function burst() {
  for (let i = 0; i < 200 && running; i++) {
    try {
      unlinkSync(path);
    } catch {
      // nothing there
    }
    try {
      symlinkSync(target, path);
      swaps++;
    } catch {
      // the server bound first
    }
  }
  if (running) setImmediate(burst);
}
process.stdout.write("swapping\n");
burst();
process.stdin.resume();
process.stdin.on("end", () => {
  running = false;
  process.stdout.write(`${swaps}\n`);
  process.exit(0);
});
