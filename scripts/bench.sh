#!/usr/bin/env bash
# Load benchmark on release builds, with rate limits raised so that the server, not the
# limiter, is measured. Extra arguments go to `bench` (e.g. --clients 100 --messages 1000).
#
#   scripts/bench.sh [args]            one server over SQLite (the default set-up)
#   scripts/bench.sh --cluster [args]  in one run, one after the other: that single server (the
#                                      reference), then deploy/cluster.sh with 1 node and with
#                                      2 nodes behind nginx (PostgreSQL + Redis), clients
#                                      spread over the nodes
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
cluster=""
if [ "${1:-}" = "--cluster" ]; then cluster=1; shift; fi
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
cargo build --release -p bench >/dev/null

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

echo "| setup | clients | messages | acked msg/s | deliveries/s | ack p50 / p99 ms | fan-out p50 / p99 / max ms | lost |"
echo "|---|---|---|---|---|---|---|---|"

# The reference: one server over SQLite, clients straight to it.
port=3199
DATABASE_URL="sqlite://$data/bench.db?mode=rwc" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  ./target/release/server &
server=$!
started+=("$server")
wait_healthy "$port"
./target/release/bench --addr "127.0.0.1:$port" --label "1 server, SQLite" "$@" | grep '^|' \
  || { echo "bench failed against the single server" >&2; exit 1; }
stop "$server"

if [ -n "$cluster" ]; then
  for nodes in 1 2; do
    port=$((3500 + nodes * 20))
    deploy/cluster.sh --release --port "$port" --nodes "$nodes" --data "$data/cluster$nodes" \
      --db tertulia_bench --fresh 2>"$data/cluster$nodes.log" &
    script=$!
    started+=("$script")
    wait_healthy "$port"
    ./target/release/bench --addr "127.0.0.1:$port" --nodes "$nodes" \
      --label "$nodes node(s) + nginx, PostgreSQL, Redis" "$@" | grep '^|' \
      || { echo "bench failed against $nodes node(s); log: $data/cluster$nodes.log" >&2; cat "$data/cluster$nodes.log" >&2; exit 1; }
    stop "$script"
  done
fi
