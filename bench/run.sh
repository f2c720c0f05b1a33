#!/usr/bin/env bash
# TCPServer next to the raw runtime echo servers, one client ping-pong with
# 64-byte messages, in alternating rounds on the same machine.
#
#   npm run bench                  # ROUNDS=3 SECONDS_EACH=3 by default
#   WORKLOADS="pp1 pp100" npm run bench
#
# Needs ../shared/bench (the C load generator and the raw servers) beside the
# repository, or SHARED_BENCH=/path/to/shared/bench. Prints a table of medians.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
bin=$root/node_modules/.bin
ROUNDS=${ROUNDS:-3} SECONDS_EACH=${SECONDS_EACH:-3} PORT=${PORT:-23400}
WORKLOADS=${WORKLOADS:-pp1}
SERVERS=${SERVERS:-"deno-raw deno-tcpserver bun-raw bun-tcpserver node-raw node-tcpserver"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/loadgen" "$shared/loadgen/loadgen.c"

server_cmd() {
  case $1 in
    deno-raw) echo "$bin/deno run -A $shared/servers/deno_echo.ts $2" ;;
    bun-raw) echo "$bin/bun $shared/servers/bun_echo.ts $2" ;;
    node-raw) echo "$bin/node $shared/servers/node_echo.mjs $2" ;;
    deno-tcpserver) echo "$bin/deno run -A $here/tcp_echo.ts $2" ;;
    bun-tcpserver) echo "$bin/bun $here/tcp_echo.ts $2" ;;
    node-tcpserver) echo "$bin/node $here/tcp_echo.ts $2" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}
workload_args() {
  case $1 in
    pp1) echo "--mode pingpong --conns 1 --size 64" ;;
    pp100) echo "--mode pingpong --conns 100 --size 64" ;;
    *) echo "unknown workload $1" >&2; return 1 ;;
  esac
}
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

results=$work/results.jsonl
for round in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    PORT=$((PORT + 1))
    # shellcheck disable=SC2046
    taskset -c 0 $(server_cmd "$s" "$PORT") >/dev/null 2>&1 &
    pid=$!
    if ! wait_port "$PORT"; then echo "$s did not listen" >&2; kill "$pid" 2>/dev/null; continue; fi
    for w in $WORKLOADS; do
      # shellcheck disable=SC2046
      line=$(taskset -c 1 "$work/loadgen" --port "$PORT" --duration "$SECONDS_EACH" --warmup 1 $(workload_args "$w"))
      echo "{\"round\":$round,\"server\":\"$s\",\"workload\":\"$w\",\"result\":$line}" >> "$results"
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  done
done
python3 "$here/summarize.py" "$results"
