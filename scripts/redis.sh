#!/usr/bin/env bash
# A scratch Redis 7 on a free loopback port, for the Rust tests (the live-state conformance
# suite). No persistence; it dies with its directory.
#   scripts/redis.sh start   → prints redis://127.0.0.1:PORT once it answers
#   scripts/redis.sh stop    → stops the one `start` started
set -euo pipefail
state="${TMPDIR:-/tmp}/tertulia-test-redis"

case "${1:-}" in
  start)
    command -v redis-server >/dev/null || { echo "redis-server is missing (scripts/setup.sh installs it)" >&2; exit 1; }
    mkdir -p "$state"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$state" --logfile "$state/redis.log" --daemonize yes --pidfile "$state/redis.pid"
    for _ in $(seq 1 100); do
      if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "redis://127.0.0.1:$port"
        exit 0
      fi
      sleep 0.05
    done
    echo "Redis did not answer on port $port (log: $state/redis.log)" >&2
    exit 1
    ;;
  stop)
    if [ -s "$state/redis.pid" ]; then
      kill "$(cat "$state/redis.pid")" 2>/dev/null || true
      rm -f "$state/redis.pid"
    fi
    ;;
  *) echo "usage: $0 start | stop" >&2; exit 2 ;;
esac
