#!/usr/bin/env bash
# Our servers next to the raw runtime servers, in alternating rounds on the
# same machine. Workloads:
#   pp1    TCPServer against Deno.listen / Bun.listen / node:net, 1 client
#   pp100  EventLoopTCPServer against the raw servers, 100 clients, and
#          raw_pull_echo.ts: the same raw API awaited one read at a time
#   io100  the same echo on EventLoop, Threading (the default: relayed on
#          Deno, taken over on Bun and Node; and `listening`:
#          listenInThreads) and Forking TCP servers (passed over, and
#          `forklistening`: listenInChildren), next to Python's
#          ThreadingTCPServer and ForkingTCPServer (shared/bench/servers/py_echo.py)
#   udp1, udp10  UDPServer against Deno.listenDatagram / Bun.udpSocket / node:dgram
#   udppools  10 clients on UDPServer and the UDP pools: Threading and
#          Forking (each datagram relayed), and `udplistening` /
#          `udpforklistening` (each worker binds the port itself; Bun and
#          Node: Deno's UDP sockets cannot share a port)
#   idle   memory per idle connection: RSS growth over IDLE_N (8,000) held
#          clients, for the raw server, the pull loop and the event loop
#   cpu10  a CPU-bound handler (about 1 ms per request), 10 clients, on
#          TCPServer, EventLoop, Threading (2 workers, the default and
#          listening) and Forking (2 children, passed over and listening),
#          next to Python's TCPServer, ThreadingTCPServer and
#          ForkingTCPServer running shared/bench/servers/py_cpu.py
# Each run also records the server's CPU time (its threads and children
# included, from /proc): the summary shows CPU time per echo, steadier than
# throughput on a shared machine.
# Servers are pinned to CPU 0 and the load generator to CPU 1, except for
# cpu10, where the workers need both cores (as the shared baseline did).
#
#   npm run bench                  # ROUNDS=3 SECONDS_EACH=3 WORKLOADS="pp1 udp1"
#   WORKLOADS="cpu10 io100" RUNTIMES=bun npm run bench
#
# Needs ../shared/bench (the C load generator and the reference servers)
# beside the repository, or SHARED_BENCH=/path/to/shared/bench. Prints a
# table of medians; RESULTS=file also keeps the raw JSON lines, and
# CHART=file.svg draws idle memory and CPU per echo from them.
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
  case $rt in
    python) case $kind in
        cpu*) echo "python3 $shared/servers/py_cpu.py ${kind#cpu} $2" ;;
        *) echo "python3 $shared/servers/py_echo.py $kind $2" ;;
      esac
      return ;;
  esac
  case $kind in
    raw) case $rt in
        deno) run_with deno "$shared/servers/deno_echo.ts" "$2" ;;
        bun) run_with bun "$shared/servers/bun_echo.ts" "$2" ;;
        node) run_with node "$shared/servers/node_echo.mjs" "$2" ;;
      esac ;;
    tcpserver | eventloop | threading | listening | forking | forklistening) run_with "$rt" "$here/tcp_echo.ts" "$2" "$kind" ;;
    cpu*) run_with "$rt" "$here/tcp_echo.ts" "$2" "${kind#cpu}" cpu ;;
    idle*) run_with "$rt" "$here/tcp_echo.ts" "$2" "${kind#idle}" idle ;;
    rawpull) run_with "$rt" "$here/raw_pull_echo.ts" "$2" ;;
    rawudp) run_with "$rt" "$here/raw_udp_echo.ts" "$2" ;;
    udpserver) run_with "$rt" "$here/udp_echo.ts" "$2" ;;
    udpthreading | udplistening | udpforking | udpforklistening) run_with "$rt" "$here/udp_echo.ts" "$2" "${kind#udp}" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
  esac
}
workload_args() {
  case $1 in
    pp1) echo "--mode pingpong --conns 1 --size 64" ;;
    pp100 | io100) echo "--mode pingpong --conns 100 --size 64" ;;
    cpu10) echo "--mode pingpong --conns 10 --size 64" ;;
    udp1) echo "--mode udp --conns 1 --size 64" ;;
    udp10 | udppools) echo "--mode udp --conns 10 --size 64" ;;
    *) echo "unknown workload $1" >&2; return 1 ;;
  esac
}
# The servers compared in a workload, runtime by runtime; "python-" servers
# run once per round, before the runtimes.
servers() { # workload runtime
  case $1 in
    udppools) case $2 in
        deno) echo "$2-rawudp $2-udpserver $2-udpthreading $2-udpforking" ;;
        *) echo "$2-rawudp $2-udpserver $2-udpthreading $2-udplistening $2-udpforking $2-udpforklistening" ;;
      esac ;;
    udp*) echo "$2-rawudp $2-udpserver" ;;
    pp100) echo "$2-raw $2-rawpull $2-eventloop" ;;
    io100) echo "$2-raw $2-rawpull $2-eventloop $2-threading $2-listening $2-forking $2-forklistening" ;;
    cpu10) echo "$2-cputcpserver $2-cpueventloop $2-cputhreading $2-cpulistening $2-cpuforking $2-cpuforklistening" ;;
    idle) echo "$2-raw $2-rawpull $2-idleeventloop" ;;
    *) echo "$2-raw $2-tcpserver" ;;
  esac
}
python_servers() {
  case $1 in
    io100) echo "python-threading python-forking" ;;
    cpu10) echo "python-cputcp python-cputhreading python-cpuforking" ;;
  esac
}
# Pinning: one core for the server, except where workers need both.
pin_server() { case $1 in cpu*) echo "taskset -c 0,1" ;; *) echo "taskset -c 0" ;; esac; }
pin_client() { case $1 in cpu*) echo "taskset -c 0,1" ;; *) echo "taskset -c 1" ;; esac; }
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

# The idle workload: the server's RSS before and after IDLE_N clients that
# each echo 16 bytes, then stay connected (shared/bench/idle/hold.py).
rss_kb() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
measure_idle() { # server pid port
  local before after line
  sleep 2 # start-up allocations settle
  before=$(rss_kb "$2")
  coproc HOLD { python3 "$shared/idle/hold.py" "$3" "$IDLE_N"; }
  read -r line <&"${HOLD[0]}" || line="failed"
  sleep 3
  after=$(rss_kb "$2")
  kill "$HOLD_PID" 2>/dev/null
  wait "$HOLD_PID" 2>/dev/null || true
  echo "{\"round\":$round,\"server\":\"$1\",\"workload\":\"idle\",\"n\":$IDLE_N,\"held\":\"$line\",\"per_conn_bytes\":$(((after - before) * 1024 / IDLE_N))}" >> "$results"
}
IDLE_N=${IDLE_N:-8000}
case " $WORKLOADS " in *" idle "*) ulimit -n "$(ulimit -Hn)" ;; esac

results=$work/results.jsonl
for round in $(seq "$ROUNDS"); do
  for w in $WORKLOADS; do
    list="$(python_servers "$w")"
    for rt in $RUNTIMES; do list="$list $(servers "$w" "$rt")"; done
    for s in $list; do
      PORT=$((PORT + 1))
      log=$work/$s.log
      # shellcheck disable=SC2046
      $(pin_server "$w") $(server_cmd "$s" "$PORT") >"$log" 2>&1 &
      pid=$!
      if ! wait_ready "$w" "$PORT" "$log"; then echo "$s did not start" >&2; kill "$pid" 2>/dev/null; continue; fi
      if [ "$w" = idle ]; then
        measure_idle "$s" "$pid" "$PORT"
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null || true
        continue
      fi
      # A warm-up run of its own, so the CPU time counted is the measured run's.
      # shellcheck disable=SC2046
      $(pin_client "$w") "$work/loadgen" --port "$PORT" --duration 1 --warmup 0 $(workload_args "$w") >/dev/null 2>&1 || true
      t0=$(python3 "$here/cpu_ticks.py" "$pid")
      # shellcheck disable=SC2046
      # A run with errors still prints its line (they are counted in it).
      line=$($(pin_client "$w") "$work/loadgen" --port "$PORT" --duration "$SECONDS_EACH" --warmup 0 $(workload_args "$w")) || true
      t1=$(python3 "$here/cpu_ticks.py" "$pid")
      if [ -z "$line" ]; then echo "$s: no result" >&2; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; continue; fi
      echo "{\"round\":$round,\"server\":\"$s\",\"workload\":\"$w\",\"cpu_ticks\":$((t1 - t0)),\"ticks_per_s\":$(getconf CLK_TCK),\"result\":$line}" >> "$results"
      # Forking servers' children exit when their server's link closes.
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null || true
    done
  done
done
python3 "$here/summarize.py" "$results" ${CHART:+--svg "$CHART"}
# Kept for a second look: RESULTS=path keeps the raw lines.
if [ -n "${RESULTS:-}" ]; then cp "$results" "$RESULTS"; fi
