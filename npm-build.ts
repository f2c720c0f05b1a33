/**
 * Builds the npm package in `npm/` from the TypeScript sources, as dnt
 * would (dnt lives on JSR, which this project cannot reach): the
 * TypeScript compiler from npm emits ES modules with relative `.ts`
 * imports rewritten to `.js`, declarations and source maps, then this
 * script writes `package.json` from `deno.json` and copies README and
 * LICENSE.
 *
 *   deno run -A npm-build.ts          # then: cd npm && npm pack
 *   deno run -A npm-build.ts --pack   # packs it into dist/ and prints how
 *                                     # to install it in another project
 *
 * @module
 */

const root = new URL(".", import.meta.url);
const out = new URL("npm/", root);
const config = JSON.parse(
  await Deno.readTextFile(new URL("deno.json", root)),
) as { name: string; version: string; exports: Record<string, string> };

// Loaded by URL from the adapters (worker threads and child processes), not
// imported, so the compiler must be told about them.
const WORKER_ENTRIES = [
  "adapters/_shared/thread_web.ts",
  "adapters/bun/thread.ts",
  "adapters/node/thread.ts",
  "adapters/_node/child.ts",
  "adapters/bun/child.ts",
];

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    rewriteRelativeImportExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
    strict: true,
    noImplicitOverride: true,
    declaration: true,
    sourceMap: true,
    inlineSources: true,
    skipLibCheck: true,
    types: ["node"],
    lib: ["ES2022", "DOM"],
    rootDir: ".",
    outDir: "npm",
  },
  files: [...Object.values(config.exports), ...WORKER_ENTRIES],
};

await Deno.remove(out, { recursive: true }).catch(() => {});
const tsconfigPath = new URL("tsconfig.npm.json", root);
await Deno.writeTextFile(tsconfigPath, JSON.stringify(tsconfig, null, 2));
try {
  const tsc = new Deno.Command(new URL("node_modules/.bin/tsc", root), {
    args: ["-p", tsconfigPath.pathname],
    cwd: root,
  });
  const { code } = await tsc.spawn().status;
  if (code !== 0) throw new Error(`tsc failed with exit code ${code}`);
} finally {
  await Deno.remove(tsconfigPath);
}

// tsc points each source map at the .ts file in this repository
// (`../../src/x.ts` from `npm/src/x.js.map`), outside the package once it
// is installed. The maps carry their sources inline, so name each source
// beside its map instead: stack traces then show the package's own paths.
for await (const map of mapFiles(out)) {
  const json = JSON.parse(await Deno.readTextFile(map)) as {
    sources: string[];
  };
  json.sources = json.sources.map((source) => source.split("/").pop()!);
  await Deno.writeTextFile(map, JSON.stringify(json));
}

/** Every `.map` file under `dir`. */
async function* mapFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isDirectory) yield* mapFiles(new URL(`${entry.name}/`, dir));
    else if (entry.name.endsWith(".map")) yield new URL(entry.name, dir);
  }
}

/** `./mod.ts` to `./mod.js` (or `.d.ts`). */
const built = (path: string, ext: string) => path.replace(/\.ts$/, ext);

const pkg = {
  name: config.name,
  version: config.version,
  description:
    "Python's socketserver for TypeScript: TCP, UDP and Unix servers with request handlers, on Deno, Bun and Node.",
  license: "MIT",
  type: "module",
  engines: { node: ">=20" },
  main: built(config.exports["."], ".js"),
  types: built(config.exports["."], ".d.ts"),
  // One file per entry serves all runtimes: mod.js picks its driver when it
  // runs, so `deno`/`bun`/`node` conditions would only point at the same file.
  exports: Object.fromEntries(
    Object.entries(config.exports).map(([name, path]) => [name, {
      types: built(path, ".d.ts"),
      default: built(path, ".js"),
    }]),
  ),
  // mod.js installs the runtime's driver when imported, and the worker
  // entries run when loaded: a bundler must keep them.
  sideEffects: [
    "./mod.js",
    ...WORKER_ENTRIES.map((path) => `./${built(path, ".js")}`),
  ],
  keywords: ["socketserver", "tcp", "udp", "unix", "server", "deno", "bun"],
};
await Deno.writeTextFile(
  new URL("package.json", out),
  JSON.stringify(pkg, null, 2) + "\n",
);
for (const file of ["README.md", "LICENSE"]) {
  await Deno.copyFile(new URL(file, root), new URL(file, out));
}
console.log(`built ${pkg.name}@${pkg.version} in npm/`);

if (Deno.args.includes("--pack")) await pack();

/**
 * Packs npm/ into dist/ and prints how another project installs the
 * tarball: the package is not published, on npm or on JSR.
 */
async function pack(): Promise<void> {
  const dist = new URL("dist/", root);
  await Deno.mkdir(dist, { recursive: true });
  const { success, stdout } = await new Deno.Command("npm", {
    args: ["pack", "--silent", "--pack-destination", dist.pathname],
    cwd: out,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!success) Deno.exit(1);
  const file = new TextDecoder().decode(stdout).trim().split("\n").pop()!;
  const tarball = new URL(file, dist).pathname;
  const source = (path: string) => new URL(path, root).href;
  console.log(`
${pkg.name} is not published (not on npm, not on JSR). This tarball is the
package; install it into another project:

  npm install ${tarball}
  bun add ${tarball}

Deno imports the sources of this clone instead; in the project's deno.json:

  "imports": {
    "${pkg.name}": "${source(config.exports["."])}"
  }

then: import { TCPServer } from "${pkg.name}";`);
}
