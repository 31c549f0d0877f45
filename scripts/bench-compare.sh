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
#   scripts/bench-compare.sh --only idle   one scenario (idle, connect, fanout or ramp)
#   scripts/bench-compare.sh --only idle --idle 19000   idle memory with 19,000 connections (5,000 by default)
#   scripts/bench-compare.sh --baseline REV   also an earlier commit's Tertulia (built once by
#                                       scripts/bench-baseline.sh), before the current one
#
# Tertulia runs in release over SQLite with its rate limits raised, so the server is what is
# measured. The JSON lines of the run are kept in bench/results/<time>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
clients=1000 rooms=10 senders=100 seconds=5 idle=5000 start=10000 step=10000 fixed=40000
usage() { echo "usage: $0 [--quick] [--only idle|connect|fanout|ramp] [--idle N] [--baseline REV]" >&2; exit 2; }
invocation="$*"
only="" idle_arg="" baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) clients=200 rooms=4 senders=20 seconds=2 idle=500 start=10000 step=30000 fixed=20000 ;;
    --only) case "${2:-}" in
              idle|connect|fanout|ramp) only=$2; shift ;;
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
  local args=("$@")
  [ "${args[0]}" = idle ] && args+=(--pid "$server_pid")
  taskset -c 1 ./target/release/loadgen --addr "127.0.0.1:$port" --auth "$auth" --label "$name" "${args[@]}" \
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
echo
echo "scripts/bench-compare.sh $invocation ($(nproc) cores; results in $results; fixed rate $fixed deliveries/s${baseline:+; before: $baseline = $(git rev-parse --short "$baseline")})"
./target/release/loadgen report "$results"
