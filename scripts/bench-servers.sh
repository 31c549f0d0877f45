# Sourced by the bench scripts: start_server NAME PORT starts one of the servers (node, given
# $node_args such as --recovery; socketioxide; tertulia, or tertulia-before: the release build
# of an earlier commit in $baseline_dir, from scripts/bench-baseline.sh; Tertulia keeps its
# database with keep_data=1 and runs with its shipped limits with limits=default) pinned to CPU 0
# and waits until it answers; stop_server stops it. By default Tertulia runs in release over a
# fresh SQLite database with its rate limits raised, so the server is what is measured. Sets
# server_pid; cleans up on exit.
data=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

start_server() { # name port
  case "$1" in
    node) taskset -c 0 node bench/node/server.js "127.0.0.1:$2" ${node_args:-} 2>"$data/$1.log" & ;;
    socketioxide) taskset -c 0 ./target/release/reference --addr "127.0.0.1:$2" 2>"$data/$1.log" & ;;
    tertulia|tertulia-before)
      local binary=./target/release/server site=target/site
      if [ "$1" = tertulia-before ]; then binary=$baseline_dir/server site=$baseline_dir/site; fi
      [ -n "${keep_data:-}" ] || rm -rf "$data"/bench.db* "$data/files"
      # Limits raised so that the server, not the limiter, is measured; with limits=default
      # only room creation is (the scenario's own set-up), the rest is as shipped.
      local raised=(TERTULIA_MESSAGE_BURST=100000000 TERTULIA_JOIN_BURST=1000000 TERTULIA_AUTH_BURST=100000000
        TERTULIA_HANDSHAKE_BURST=100000000 TERTULIA_EVENT_BUDGET=1000000000
        TERTULIA_MAX_SOCKETS_PER_IP=1000000 TERTULIA_MAX_CONNECTIONS_PER_IP=1000000
        TERTULIA_MAX_CONNECTIONS=1000000 TERTULIA_MAX_IN_FLIGHT=1024)
      [ "${limits:-raised}" = default ] && raised=()
      env RUST_LOG=warn LEPTOS_SITE_ROOT="$site" DATABASE_URL="sqlite://$data/bench.db?mode=rwc" LEPTOS_SITE_ADDR="127.0.0.1:$2" \
        TERTULIA_FILES_DIR="$data/files" "${raised[@]}" \
        TERTULIA_MAX_ROOMS=1000000 TERTULIA_MAX_ROOMS_PER_GUEST=1000 TERTULIA_ROOM_CREATE_BURST=1000000 \
        taskset -c 0 ${wrapper:-} "$binary" 2>>"$data/$1.log" &
      ;;
  esac
  server_pid=$!
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:$2/socket.io/?EIO=4&transport=polling" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench: $1 did not start (log: $data/$1.log)" >&2
  cat "$data/$1.log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

