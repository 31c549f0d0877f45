#!/usr/bin/env bash
# The unit costs behind docs/SCALING.md's capacity model, measured on this machine in one run:
#
#   1. server CPU per delivery and per message: the release server (pinned to CPU 0, SQLite)
#      under the same delivery rate with rooms of 100 and of 10 receivers; CPU per delivery is
#      a + b / room size, two room sizes give a (per delivery) and b (per message);
#   2. server CPU per first-time connect (guest sign-in, websocket, CONNECT, join);
#   3. server memory per idle connection;
#   4. Redis: PUBLISH of a message-sized payload with 1 and 3 subscribers (the nodes);
#   5. PostgreSQL: committed inserts per second into a table shaped like `messages`, 1 and 8
#      connections (fsync on, as Debian ships it).
#
#   scripts/bench-costs.sh            prints the JSON lines and keeps them in bench/results/
#
# Needs the release build (made here), redis-server and PostgreSQL (make setup).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
ulimit -n "$(ulimit -Hn)"
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release
cargo build --release -p bench --bins >/dev/null
mkdir -p bench/results
results="bench/results/$(date -u +%Y%m%dT%H%M%SZ)-costs.jsonl"
source scripts/bench-servers.sh

loadgen() { # port label scenario args...
  local port=$1 label=$2
  shift 2
  taskset -c 1 ./target/release/loadgen --addr "127.0.0.1:$port" --auth guest --label "$label" \
    --pid "$server_pid" "$@" | tee -a "$results"
}

# 1. Deliveries at one rate, rooms of 100 and of 10.
for rooms in 10 100; do
  start_server tertulia 3451
  loadgen 3451 "tertulia, rooms of $((1000 / rooms))" fanout --clients 1000 --rooms "$rooms" \
    --senders 100 --rate 20000 --seconds 10
  stop_server
done
# 2, 3. Connects and idle memory.
start_server tertulia 3451
loadgen 3451 tertulia connect --clients 1000
stop_server
start_server tertulia 3451
loadgen 3451 tertulia idle --clients 5000
stop_server

# 4. Redis PUBLISH, a 400-byte payload (a message event as the adapter sends it), pinned to
# CPU 0 like the server; subscribers on CPU 1 with the benchmark client.
redis_port=3461
taskset -c 0 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize no >"$data/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
payload=$(head -c 400 /dev/zero | tr '\0' x)
subscribers=()
for subs in 1 3; do
  while [ "${#subscribers[@]}" -lt "$subs" ]; do
    taskset -c 1 redis-cli -p "$redis_port" subscribe tertulia-bench >/dev/null &
    subscribers+=($!)
  done
  sleep 0.5
  per_second=$(taskset -c 1 redis-benchmark -p "$redis_port" -n 200000 -c 16 -P 16 -q \
    publish tertulia-bench "$payload" | grep -oE '[0-9.]+ requests per second' | grep -oE '^[0-9.]+')
  echo "{\"label\":\"redis\",\"scenario\":\"publish\",\"subscribers\":$subs,\"per_second\":$per_second}" \
    | tee -a "$results"
done
kill "${subscribers[@]}" "$redis_pid" 2>/dev/null || true
wait 2>/dev/null || true

# 5. PostgreSQL commits.
url=$(scripts/postgres.sh start tertulia_costs --fresh)
psql -q "$url" -c "create table if not exists bench_messages (id bigserial primary key,
  room_id bigint not null, user_id bigint not null, text text not null, client_id text,
  created_at bigint not null); create index if not exists bench_messages_room on bench_messages (room_id, id);"
cat >"$data/insert.sql" <<'SQL'
\set room random(1, 1000)
insert into bench_messages (room_id, user_id, text, client_id, created_at)
  values (:room, :client_id, 'a message of about the usual length, forty to eighty characters', md5(random()::text), 0);
SQL
pgbench=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -1)
for connections in 1 8; do
  tps=$("$pgbench" -n -c "$connections" -j 2 -T 10 -f "$data/insert.sql" "$url" 2>/dev/null \
    | grep -oE 'tps = [0-9.]+' | head -1 | grep -oE '[0-9.]+$')
  echo "{\"label\":\"postgresql\",\"scenario\":\"insert\",\"connections\":$connections,\"per_second\":$tps}" \
    | tee -a "$results"
done
echo "results in $results"
