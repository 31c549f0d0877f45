#!/usr/bin/env bash
# Load benchmark: a release server on a private port and database, with rate limits raised so
# the measurement is of the server, then `bench` against it. Extra arguments go to `bench`
# (e.g. --clients 100 --messages 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
cargo leptos build --release >/dev/null
cargo build --release -p bench >/dev/null
data=$(mktemp -d)
port=3199
DATABASE_URL="sqlite://$data/bench.db?mode=rwc" LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  TERTULIA_MESSAGE_BURST=1000000 TERTULIA_JOIN_BURST=1000000 TERTULIA_AUTH_BURST=1000000 \
  ./target/release/server &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.2; done
./target/release/bench --addr "127.0.0.1:$port" "$@"
