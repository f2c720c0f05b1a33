#!/usr/bin/env bash
# Tests the npm package as a user gets it: builds npm/ with npm-build.ts,
# packs it, installs the tarball into a scratch project, runs smoke.mjs on
# Node 24, 22 and 20 and on Bun, and type-checks types.ts with tsc against
# the package's declarations. Node 22 and 20 come from npm (the `node`
# package) into node_modules/.cache, so a fresh machine needs nothing else.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/node_modules/.bin
NODE_VERSIONS=${NODE_VERSIONS:-"22.23.3 20.20.2"}

"$bin/deno" run -A "$root/npm-build.ts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$root/npm" && npm pack --silent --pack-destination "$scratch" >/dev/null)
cp "$here/smoke.mjs" "$here/handlers.mjs" "$here/types.ts" "$here/tsconfig.json" "$scratch/"
cd "$scratch"
echo '{ "name": "scratch", "private": true, "type": "module" }' >package.json
types=$(node -p "require('$root/node_modules/@types/node/package.json').version")
npm install --no-audit --no-fund --silent ./*.tgz "@types/node@$types"

"$bin/node" smoke.mjs
"$bin/bun" smoke.mjs
for version in $NODE_VERSIONS; do
  prefix=$root/node_modules/.cache/socketserver-node-$version
  if [ ! -x "$prefix/node_modules/.bin/node" ]; then
    npm install --no-audit --no-fund --silent --prefix "$prefix" "node@$version"
  fi
  "$prefix/node_modules/.bin/node" smoke.mjs
done
"$bin/tsc" -p tsconfig.json
echo "ok - types.ts type-checks against the package"

# Every source map names a source inside the package (its content is
# inline), so stack traces never point outside node_modules/<package>.
"$bin/node" -e '
const { readdirSync, readFileSync } = require("node:fs");
const { dirname, resolve, sep } = require("node:path");
const pkg = resolve("node_modules/@socketserver/socketserver");
const maps = readdirSync(pkg, { recursive: true }).filter((f) => f.endsWith(".map"));
if (maps.length === 0) throw new Error("no source maps in the package");
for (const map of maps) {
  for (const source of JSON.parse(readFileSync(resolve(pkg, map), "utf8")).sources) {
    const at = resolve(pkg, dirname(map), source);
    if (!at.startsWith(pkg + sep)) throw new Error(`${map} points outside the package: ${source}`);
  }
}
console.log(`ok - ${maps.length} source maps point inside the package`);
'

