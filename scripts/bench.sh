#!/usr/bin/env bash
# Load benchmark on release builds, with rate limits raised so that the server, not the
# limiter, is measured. Extra arguments go to `bench` (e.g. --clients 100 --messages 1000).
#
#   scripts/bench.sh [args]            one server over SQLite (the default set-up)
#   scripts/bench.sh --cluster [args]  in one run, one after the other: that single server (the
#                                      reference), then deploy/cluster.sh with 1 node and with
#                                      2 nodes behind nginx (PostgreSQL + Redis), clients
#                                      spread over the nodes
#   scripts/bench.sh --cluster 3 [args]  the same with 1, 2 and 3 nodes
#
# Each run also reports the whole machine's CPU time (every process: server or nodes, Redis,
# PostgreSQL, nginx and the clients) per 1,000 deliveries: what docs/SCALING.md's model
# predicts for 1, 2 and 3 nodes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
cluster=""
max_nodes=2
if [ "${1:-}" = "--cluster" ]; then
  cluster=1
  shift
  case "${1:-}" in
    [1-9]) max_nodes=$1; shift ;;
  esac
fi
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
cargo build --release -p bench >/dev/null
# What this run prints (its tables and the Redis command lists) is kept in bench/results/.
mkdir -p bench/results
exec > >(tee "bench/results/$(date -u +%Y%m%dT%H%M%SZ)-bench.txt") 2>&1

export RUST_LOG=warn TERTULIA_MESSAGE_BURST=1000000 TERTULIA_JOIN_BURST=1000000 TERTULIA_ROOM_CREATE_BURST=1000000 \
  TERTULIA_AUTH_BURST=1000000 TERTULIA_HANDSHAKE_BURST=1000000 \
  TERTULIA_MAX_SOCKETS_PER_IP=100000 TERTULIA_MAX_CONNECTIONS_PER_IP=100000 \
  TERTULIA_EVENT_BUDGET=100000000

data=$(mktemp -d)
started=()
cleanup() {
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$data"
}
trap cleanup EXIT

wait_healthy() { # port
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$1/api/health" >/dev/null && return 0
    sleep 0.2
  done
  echo "bench: nothing healthy on port $1" >&2
  exit 1
}

stop() { # pid
  kill -TERM "$1"
  wait "$1" 2>/dev/null || true
  started=("${started[@]/$1}")
}

# Busy CPU time of the whole machine so far, in clock ticks (user, nice, system, irq, softirq).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
cpu_rows=()
# Commands the cluster's Redis has processed so far, and its CPU time in ms (0 0 without one:
# the single server).
redis_usage() { # port of the Redis, or nothing
  if [ -z "${1:-}" ]; then echo 0 0; return; fi
  redis-cli -p "$1" info all | tr -d '\r' | awk -F: '
    /^total_commands_processed/ { commands = $2 }
    /^used_cpu_(sys|user):/ { cpu += $2 }
    END { printf "%d %d\n", commands, cpu * 1000 }'
}
# measure LABEL REDIS_PORT COMMAND...: runs one bench, prints its row, and keeps for the
# second table the machine's CPU time per 1,000 deliveries (the row's "of N" is the deliveries
# expected), the Redis commands and Redis CPU per message (the whole run: connects included).
measure() {
  local label=$1 redis=$2 before row deliveries messages ticks usage after
  shift 2
  before=$(busy_ticks)
  usage=$(redis_usage "$redis")
  row=$("$@" | grep '^|') || return 1
  ticks=$(( $(busy_ticks) - before ))
  after=$(redis_usage "$redis")
  echo "$row"
  deliveries=$(grep -oE 'of [0-9,]+' <<<"$row" | tail -1 | tr -dc 0-9)
  messages=$(awk -F'|' '{ gsub(/[^0-9]/, "", $4); print $4 }' <<<"$row")
  cpu_rows+=("$(awk -v l="$label" -v t="$ticks" -v d="$deliveries" -v m="$messages" \
    -v b="$usage" -v a="$after" 'BEGIN {
      split(b, x, " "); split(a, y, " ")
      printf "| %s | %.1f | %s | %.1f | %.1f | %.0f |", l, t / 100, d, t * 10 * 1000 / d,
        (y[1] - x[1]) / m, (y[2] - x[2]) * 1000 / m }')")
}

echo "| setup | clients | messages | acked msg/s | deliveries/s | ack p50 / p99 ms | fan-out p50 / p99 / max ms | lost |"
echo "|---|---|---|---|---|---|---|---|"

# The reference: one server over SQLite, clients straight to it.
port=3199
DATABASE_URL="sqlite://$data/bench.db?mode=rwc" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  ./target/release/server &
server=$!
started+=("$server")
wait_healthy "$port"
measure "1 server, SQLite" "" ./target/release/bench --addr "127.0.0.1:$port" --label "1 server, SQLite" "$@" \
  || { echo "bench failed against the single server" >&2; exit 1; }
stop "$server"

if [ -n "$cluster" ]; then
  for nodes in $(seq 1 "$max_nodes"); do
    port=$((3500 + nodes * 20))
    deploy/cluster.sh --release --port "$port" --nodes "$nodes" --data "$data/cluster$nodes" \
      --db tertulia_bench --fresh 2>"$data/cluster$nodes.log" &
    script=$!
    started+=("$script")
    wait_healthy "$port"
    measure "$nodes node(s)" $((port + 100)) ./target/release/bench --addr "127.0.0.1:$port" --nodes "$nodes" \
      --label "$nodes node(s) + nginx, PostgreSQL, Redis" "$@" \
      || { echo "bench failed against $nodes node(s); log: $data/cluster$nodes.log" >&2; cat "$data/cluster$nodes.log" >&2; exit 1; }
    # Which commands the Redis ran (the whole run), most called first: to stderr.
    echo "Redis commands with $nodes node(s):" >&2
    redis-cli -p $((port + 100)) info commandstats | tr -d '\r' | grep '^cmdstat_' \
      | sed -E 's/^cmdstat_([a-z|]+):calls=([0-9]+),usec=([0-9]+).*/  \2 calls, \3 µs: \1/' \
      | sort -rn | head -8 >&2
    stop "$script"
  done
fi

echo
echo "| setup | machine CPU (s) | deliveries | machine CPU ms per 1,000 deliveries | Redis commands per message | Redis CPU µs per message |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${cpu_rows[@]}"
