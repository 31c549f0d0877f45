#!/usr/bin/env bash
# A PostgreSQL database on Debian's server package, for the tests and the local cluster.
#   scripts/postgres.sh start [DB] [--fresh]  → prints the URL of database DB (default
#                                              `tertulia_test`), created if missing; --fresh
#                                              drops it first
#   scripts/postgres.sh stop                  → stops the server if `start` had to start it
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
marker="${TMPDIR:-/tmp}/tertulia-postgres-started"
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
cluster() { pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"'; }

case "${1:-}" in
  start)
    db="${2:-tertulia_test}"
    fresh="${3:-}"
    [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name: $db" >&2; exit 2; }
    [ -n "$(cluster)" ] || as_root pg_createcluster "$version" main >/dev/null
    if [ "$(cluster | awk '{print $4}')" != "online" ]; then
      # To stderr: stdout carries the URL alone, and pg_ctlcluster prints notes such as
      # "Removed stale pid file." (after a server was killed) on its stdout.
      as_root pg_ctlcluster "$version" main start >&2
      touch "$marker"
    fi
    port=$(cluster | awk '{print $3}')
    psql_admin() { as_root runuser -u postgres -- env PGOPTIONS=--client-min-messages=warning psql -p "$port" -v ON_ERROR_STOP=1 -q "$@"; }
    psql_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tertulia') THEN CREATE ROLE tertulia LOGIN PASSWORD 'tertulia'; END IF; END \$\$;"
    if [ "$fresh" = "--fresh" ] || [ "$db" = "tertulia_test" ]; then
      psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    fi
    if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
      psql_admin -c "CREATE DATABASE $db OWNER tertulia"
    fi
    echo "postgres://tertulia:tertulia@127.0.0.1:$port/$db"
    ;;
  stop)
    if [ -e "$marker" ]; then
      as_root pg_ctlcluster "$version" main stop >&2
      rm -f "$marker"
    fi
    ;;
  *) echo "usage: $0 start [db] [--fresh] | stop" >&2; exit 2 ;;
esac
