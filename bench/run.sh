#!/usr/bin/env bash
# Our servers next to the raw runtime echo servers, in alternating rounds on
# the same machine: TCPServer against Deno.listen / Bun.listen / node:net
# (64-byte ping-pong; EventLoopTCPServer for pp100), UDPServer against Deno.listenDatagram / Bun.udpSocket /
# node:dgram (64-byte datagram ping-pong).
#
#   npm run bench                  # ROUNDS=3 SECONDS_EACH=3 WORKLOADS="pp1 udp1"
#   WORKLOADS="pp100 udp10" RUNTIMES=bun npm run bench
#
# Needs ../shared/bench (the C load generator and the raw TCP servers) beside
# the repository, or SHARED_BENCH=/path/to/shared/bench. Prints a table of
# medians.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${SHARED_BENCH:-$root/../shared/bench}
bin=$root/node_modules/.bin
ROUNDS=${ROUNDS:-3} SECONDS_EACH=${SECONDS_EACH:-3} PORT=${PORT:-23400}
WORKLOADS=${WORKLOADS:-"pp1 udp1"}
RUNTIMES=${RUNTIMES:-"deno bun node"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/loadgen" "$shared/loadgen/loadgen.c"

run_with() { # runtime script args...
  local rt=$1 script=$2
  shift 2
  case $rt in
    deno) echo "$bin/deno run -A $script $*" ;;
    bun) echo "$bin/bun $script $*" ;;
    node) echo "$bin/node $script $*" ;;
  esac
}
server_cmd() { # server port
  local rt=${1%%-*} kind=${1#*-}
  case $kind in
    raw) case $rt in
        deno) run_with deno "$shared/servers/deno_echo.ts" "$2" ;;
        bun) run_with bun "$shared/servers/bun_echo.ts" "$2" ;;
        node) run_with node "$shared/servers/node_echo.mjs" "$2" ;;
      esac ;;
    tcpserver) run_with "$rt" "$here/tcp_echo.ts" "$2" ;;
    eventloop) run_with "$rt" "$here/tcp_echo.ts" "$2" eventloop ;;
    rawudp) run_with "$rt" "$here/raw_udp_echo.ts" "$2" ;;
    udpserver) run_with "$rt" "$here/udp_echo.ts" "$2" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}
workload_args() {
  case $1 in
    pp1) echo "--mode pingpong --conns 1 --size 64" ;;
    pp100) echo "--mode pingpong --conns 100 --size 64" ;;
    udp1) echo "--mode udp --conns 1 --size 64" ;;
    udp10) echo "--mode udp --conns 10 --size 64" ;;
    *) echo "unknown workload $1" >&2; return 1 ;;
  esac
}
# The raw server and ours for a workload: TCP, TCP with many clients (the
# sequential TCPServer would serve one of them), or UDP.
pair() { case $1 in udp*) echo "rawudp udpserver" ;; pp100) echo "raw eventloop" ;; *) echo "raw tcpserver" ;; esac; }
wait_ready() { # workload port log
  for _ in $(seq 100); do
    case $1 in
      udp*) grep -q listening "$3" 2>/dev/null && return 0 ;;
      *) (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0 ;;
    esac
    sleep 0.1
  done
  return 1
}

results=$work/results.jsonl
for round in $(seq "$ROUNDS"); do
  for w in $WORKLOADS; do
    for rt in $RUNTIMES; do
      for kind in $(pair "$w"); do
        s=$rt-$kind
        PORT=$((PORT + 1))
        log=$work/$s.log
        # shellcheck disable=SC2046
        taskset -c 0 $(server_cmd "$s" "$PORT") >"$log" 2>&1 &
        pid=$!
        if ! wait_ready "$w" "$PORT" "$log"; then echo "$s did not start" >&2; kill "$pid" 2>/dev/null; continue; fi
        # shellcheck disable=SC2046
        line=$(taskset -c 1 "$work/loadgen" --port "$PORT" --duration "$SECONDS_EACH" --warmup 1 $(workload_args "$w"))
        echo "{\"round\":$round,\"server\":\"$s\",\"workload\":\"$w\",\"result\":$line}" >> "$results"
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
      done
    done
  done
done
python3 "$here/summarize.py" "$results"
