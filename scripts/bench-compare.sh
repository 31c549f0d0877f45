#!/usr/bin/env bash
# Tertulia side by side with two reference servers implementing the same /chat events in
# memory (no auth, no storage, no presence): Node socket.io 4.8 (bench/node) and bare
# socketioxide 0.18 (bench/src/bin/reference.rs). For each scenario the three servers run one
# after the other in the same invocation, each freshly started and pinned to CPU 0 while the
# load generator (bench/src/bin/loadgen.rs) runs on CPU 1; then the ratio table is printed.
#
#   scripts/bench-compare.sh            the full run (1000 clients in 10 rooms, 100 senders; the
#                                       ramp refines its maximum to a quarter step)
#   scripts/bench-compare.sh --quick    a smaller, shorter run (a smoke test of the harness)
#   scripts/bench-compare.sh --only idle   one scenario (idle, connect, fanout, ramp, churn or storm)
#   scripts/bench-compare.sh --only idle --idle 19000   idle memory with 19,000 connections (5,000 by default)
#   scripts/bench-compare.sh --baseline REV   also an earlier commit's Tertulia (built once by
#                                       scripts/bench-baseline.sh), before the current one
#
# Tertulia runs in release over SQLite with its rate limits raised, so the server is what is
# measured. The generator's clients come from 200 loopback addresses; it reports its own CPU
# and the server's, and a step where it was the limit is shown as a lower bound. In `churn`,
# receivers are cut every ~10 s and recover: Node with connection state recovery, bare
# socketioxide without any, Tertulia through its contract (`history` from the `prev` cursor).
# In `storm`, 2,000 clients in 10 rooms each are connected when the server restarts (Tertulia
# with its shipped limits, keeping its database); every client comes back as the browser does.
# The JSON lines of the run are kept in bench/results/<time>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
clients=1000 rooms=10 senders=100 seconds=5 idle=5000 start=20000 step=20000 fixed=40000 sources=200
churn_seconds=60 churn_rate=100 cut_every_ms=10000 storm_clients=2000
usage() { echo "usage: $0 [--quick] [--only idle|connect|fanout|ramp|churn|storm] [--idle N] [--baseline REV]" >&2; exit 2; }
invocation="$*"
only="" idle_arg="" baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) clients=200 rooms=4 senders=20 seconds=2 idle=500 start=10000 step=30000 fixed=20000
             churn_seconds=10 churn_rate=40 cut_every_ms=2000 storm_clients=300 ;;
    --only) case "${2:-}" in
              idle|connect|fanout|ramp|churn|storm) only=$2; shift ;;
              *) usage ;;
            esac ;;
    --idle) case "${2:-}" in
              ''|*[!0-9]*|0*) usage ;;
              *) idle_arg=$2; shift ;;
            esac ;;
    --baseline) [ -n "${2:-}" ] || usage; baseline=$2; shift ;;
    *) usage ;;
  esac
  shift
done
idle=${idle_arg:-$idle}
# Each idle connection is an open file in the server and in the load generator: --idle must stay
# under the hard limit (20,000 on this machine), with room for their other files.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && (( idle + 100 > $(ulimit -n) )); then
  echo "--idle $idle: the open-file limit here is $(ulimit -n); use at most $(( $(ulimit -n) - 100 ))" >&2
  exit 2
fi

servers=(node socketioxide tertulia)
if [ -n "$baseline" ]; then
  baseline_dir=$(scripts/bench-baseline.sh "$baseline")
  servers=(node socketioxide tertulia-before tertulia)
fi
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
cargo build --release -p bench --bins >/dev/null
[ -d bench/node/node_modules/socket.io ] || npm ci --prefix bench/node --no-audit --no-fund >/dev/null

mkdir -p bench/results
results="bench/results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
source scripts/bench-servers.sh

run() { # name scenario args...
  local name=$1 port auth=none
  shift
  case "$name" in
    node) port=3401 ;;
    socketioxide) port=3402 ;;
    tertulia) port=3403 auth=guest ;;
    tertulia-before) port=3404 auth=guest ;;
  esac
  start_server "$name" "$port"
  taskset -c 1 ./target/release/loadgen --addr "127.0.0.1:$port" --auth "$auth" --label "$name" \
    --pid "$server_pid" --sources "$sources" "$@" \
    | tee -a "$results"
  stop_server
}

shape=(--clients "$clients" --rooms "$rooms" --senders "$senders")
each() { # scenario args...: the scenario on the three servers in turn, unless --only skips it
  if [ -n "$only" ] && [ "$only" != "$1" ]; then return 0; fi
  for server in "${servers[@]}"; do run "$server" "$@"; done
}
each idle --clients "$idle"
each connect --clients "$clients"
each fanout "${shape[@]}" --rate "$fixed" --seconds "$seconds"
each ramp "${shape[@]}" --start "$start" --step "$step" --seconds "$seconds"
if [ -z "$only" ] || [ "$only" = churn ]; then
  churn=(churn "${shape[@]}" --rate "$churn_rate" --seconds "$churn_seconds" --cut-every-ms "$cut_every_ms")
  node_args=--recovery run node "${churn[@]}" --recovery session-state
  run socketioxide "${churn[@]}" --recovery none
  [ -n "$baseline" ] && run tertulia-before "${churn[@]}" --recovery contract
  run tertulia "${churn[@]}" --recovery contract
fi
# storm NAME: the server restarted under connected clients, once they are all in.
storm() {
  local name=$1 port auth=none ready="$data/storm-ready" generator
  case "$name" in
    socketioxide) port=3402 ;;
    tertulia) port=3403 auth=guest ;;
  esac
  rm -f "$ready"
  limits=default start_server "$name" "$port"
  taskset -c 1 ./target/release/loadgen --addr "127.0.0.1:$port" --auth "$auth" --label "$name" \
    --sources "$sources" storm --clients "$storm_clients" --ready-file "$ready" >"$data/storm.json" &
  generator=$!
  while [ ! -e "$ready" ] && kill -0 "$generator" 2>/dev/null; do sleep 0.1; done
  stop_server
  limits=default keep_data=1 start_server "$name" "$port"
  wait "$generator"
  # The restarted server's CPU time (start-up and every client's return), from /proc.
  local cpu
  cpu=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$server_pid/stat")
  sed -E "s/\}$/,\"server_cpu_s_after_restart\":$cpu}/" "$data/storm.json" | tee -a "$results"
  stop_server
}
if [ -z "$only" ] || [ "$only" = storm ]; then
  storm socketioxide
  storm tertulia
fi
echo
echo "scripts/bench-compare.sh $invocation ($(nproc) cores; results in $results; fixed rate $fixed deliveries/s${baseline:+; before: $baseline = $(git rev-parse --short "$baseline")})"
./target/release/loadgen report "$results"
