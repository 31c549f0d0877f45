#!/usr/bin/env bash
# Profiles Tertulia under one load scenario: the release server pinned to CPU 0 as in
# scripts/bench-compare.sh, `perf record -g` on it while the load generator runs on CPU 1, and
# the hottest call chains printed and kept in bench/results/profile-<scenario>-<time>.txt.
#
#   scripts/bench-profile.sh connect --clients 2000
#   scripts/bench-profile.sh fanout --clients 1000 --rooms 10 --senders 100 --rate 30000 --seconds 5
#   HEAP=1 scripts/bench-profile.sh idle --clients 5000     (heaptrack instead of perf)
#
# Needs a release build (scripts/bench-compare.sh makes one) and Debian's linux-perf/heaptrack.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
[ $# -ge 1 ] || { echo "usage: $0 SCENARIO [loadgen args...]" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
source scripts/bench-servers.sh

port=3403
scenario=$1
mkdir -p bench/results
out="bench/results/profile-$scenario-$(date -u +%Y%m%dT%H%M%SZ)"
if [ -n "${HEAP:-}" ]; then
  wrapper="heaptrack --output $PWD/$out.heaptrack" start_server tertulia "$port"
else
  start_server tertulia "$port"
fi
args=("$@")
[ "$scenario" = idle ] && args+=(--pid "$(pgrep -P "$server_pid" server || echo "$server_pid")")
if [ -z "${HEAP:-}" ]; then
  perf record --call-graph "${CALLGRAPH:-fp}" -F 999 -p "$server_pid" -o "$out.perf.data" 2>/dev/null &
  perf_pid=$!
fi
taskset -c 1 ./target/release/loadgen --addr "127.0.0.1:$port" --auth guest --label tertulia "${args[@]}"
if [ -z "${HEAP:-}" ]; then
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  report() { perf report -i "$out.perf.data" --stdio -g none "$@" 2>/dev/null | grep -v '^#' \
    | grep -v '^$' | sed -E 's/ +$//' | cut -c1-160; }
  {
    echo "## self time by function (>= 1%)"
    report --no-children --sort dso,symbol --percent-limit 1
    echo "## time including callees, Tertulia's and its libraries' functions (>= 3%)"
    report --children --sort symbol --percent-limit 3 | grep -v "\[k\]"
  } >"$out.txt"
  head -80 "$out.txt"
  echo "profile: $out.txt"
else
  # heaptrack runs the server as its child: stop that, then the wrapper.
  pkill -INT -f '^\./target/release/server' || true
  stop_server
  heaptrack_print "$out.heaptrack".* --print-peaks 1 --print-allocators 0 --print-temporary 0 \
    --print-leaks 0 --peak-limit 25 >"$out.txt" 2>/dev/null || true
  head -120 "$out.txt"
  echo "heap profile: $out.txt"
fi
