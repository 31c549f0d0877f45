#!/usr/bin/env bash
# A Tertulia cluster on this machine, on loopback: Redis, PostgreSQL, N nodes and nginx in
# front of them. Runs in the foreground; Ctrl-C (or SIGTERM) stops everything it started.
#
#   deploy/cluster.sh                 # 2 nodes behind http://127.0.0.1:8080, debug build
#   deploy/cluster.sh --nodes 3 --port 9000 --release
#
# Options (or environment): --port (CLUSTER_PORT, 8080): nginx; the nodes listen on the
# following ports, Redis on port+100. --nodes (CLUSTER_NODES, 2). --release: use
# target/release/server (built by `cargo leptos build --release`), else target/debug/server
# (`cargo leptos build`). --db NAME: the PostgreSQL database (tertulia_cluster). --fresh:
# start from an empty database. --data DIR: where logs and pid files go (target/cluster).
# --binary PATH: the server executable to run (tests pass the one cargo just built). Extra
# server settings pass through the environment (e.g. TERTULIA_MESSAGE_BURST). Needs
# redis-server, nginx and PostgreSQL (make setup).
set -euo pipefail
cd "$(dirname "$0")/.."

port="${CLUSTER_PORT:-8080}"
nodes="${CLUSTER_NODES:-2}"
profile=debug
fresh=""
db=tertulia_cluster
dir="$PWD/target/cluster"
binary_override=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --release) profile=release; shift ;;
    --fresh) fresh="--fresh"; shift ;;
    --db) db="$2"; shift 2 ;;
    --data) dir="$2"; shift 2 ;;
    --binary) binary_override="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
[[ "$nodes" =~ ^[1-9][0-9]?$ ]] || { echo "--nodes: 1 to 99" >&2; exit 2; }
binary="${binary_override:-$PWD/target/$profile/server}"
[ -x "$binary" ] || { echo "$binary is missing: build it with cargo leptos build${profile/debug/}" >&2; exit 1; }
for tool in redis-server nginx; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "$tool is missing: run make setup" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd) # nginx reads paths relative to its prefix
redis_port=$((port + 100))

pids=()
stop_all() {
  trap - EXIT INT TERM
  echo "cluster: stopping" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap stop_all EXIT INT TERM

wait_for() { # host:port, what
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "cluster: $2 did not come up on $1 (logs in $dir)" >&2
  return 1
}

# Redis 7, in memory only.
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --logfile "$dir/redis.log" &
pids+=($!)
echo "$!" >"$dir/redis.pid"
wait_for "127.0.0.1:$redis_port" redis

# PostgreSQL (Debian's server, started if needed).
database_url=$(scripts/postgres.sh start "$db" $fresh)

# The nodes.
routes=""
upstreams="    upstream all_nodes {\n        hash \$remote_addr consistent;\n"
for n in $(seq "$nodes"); do
  node_port=$((port + n))
  upstreams+="        server 127.0.0.1:$node_port max_fails=1 fail_timeout=3s;\n"
done
upstreams+="        keepalive 32;\n    }\n"
for n in $(seq "$nodes"); do
  node_port=$((port + n))
  routes+="        n$n node_n$n;\n"
  upstreams+="    upstream node_n$n {\n        server 127.0.0.1:$node_port max_fails=1 fail_timeout=3s;\n"
  for m in $(seq "$nodes"); do
    [ "$m" = "$n" ] || upstreams+="        server 127.0.0.1:$((port + m)) backup;\n"
  done
  upstreams+="        keepalive 32;\n    }\n"
  LEPTOS_SITE_ADDR="127.0.0.1:$node_port" DATABASE_URL="$database_url" \
    REDIS_URL="redis://127.0.0.1:$redis_port" TERTULIA_NODE_ID="n$n" \
    TRUSTED_PROXIES="127.0.0.1/32" TERTULIA_PUBLIC_URL="http://127.0.0.1:$port" \
    TERTULIA_FILES_DIR="${TERTULIA_FILES_DIR:-$dir/files}" \
    RUST_LOG="${RUST_LOG:-info}" \
    "$binary" >"$dir/node$n.log" 2>&1 &
  pids+=($!)
  echo "$!" >"$dir/node$n.pid"
done
# Ready means serving: database and Redis reached, the node's heartbeat registered.
healthy() { # node port
  local reply=""
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$port" >&3
  read -r -t 5 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == *" 200 "* ]]
}
for n in $(seq "$nodes"); do
  for _ in $(seq 300); do
    if healthy "$((port + n))" 2>/dev/null; then continue 2; fi
    kill -0 "$(cat "$dir/node$n.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "cluster: node n$n is not ready (log: $dir/node$n.log)" >&2
  tail -n 20 "$dir/node$n.log" >&2
  exit 1
done

# nginx in front.
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" deploy/nginx.conf.template |
  awk -v routes="$(printf '%b' "$routes")" -v upstreams="$(printf '%b' "$upstreams")" \
    '{ if ($1 == "@ROUTES@" && NF == 1) print routes; else if ($1 == "@UPSTREAMS@" && NF == 1) print upstreams; else print }' \
    >"$dir/nginx.conf"
"$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' &
pids+=($!)
echo "$!" >"$dir/nginx.pid.script"
wait_for "127.0.0.1:$port" nginx

echo "cluster: $nodes nodes behind http://127.0.0.1:$port (Redis :$redis_port, $database_url); logs in $dir" >&2
echo "cluster: Ctrl-C stops it" >&2
declare -A reported=()
while true; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null && [ -z "${reported[$pid]:-}" ]; then
      echo "cluster: process $pid exited" >&2
      reported[$pid]=1
    fi
  done
  sleep 1
done
