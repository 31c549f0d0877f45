#!/usr/bin/env bash
# A PostgreSQL database for the tests, on Debian's server package.
#   scripts/postgres.sh start   → prints the URL of a fresh, empty `tertulia_test` database
#   scripts/postgres.sh stop    → stops the cluster if `start` had to start it
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
marker="${TMPDIR:-/tmp}/tertulia-postgres-started"
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
cluster() { pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"'; }

case "${1:-}" in
  start)
    [ -n "$(cluster)" ] || as_root pg_createcluster "$version" main >/dev/null
    if [ "$(cluster | awk '{print $4}')" != "online" ]; then
      as_root pg_ctlcluster "$version" main start
      touch "$marker"
    fi
    port=$(cluster | awk '{print $3}')
    psql_admin() { as_root runuser -u postgres -- env PGOPTIONS=--client-min-messages=warning psql -p "$port" -v ON_ERROR_STOP=1 -q "$@"; }
    psql_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tertulia') THEN CREATE ROLE tertulia LOGIN PASSWORD 'tertulia'; END IF; END \$\$;"
    psql_admin -c "DROP DATABASE IF EXISTS tertulia_test" -c "CREATE DATABASE tertulia_test OWNER tertulia"
    echo "postgres://tertulia:tertulia@127.0.0.1:$port/tertulia_test"
    ;;
  stop)
    if [ -e "$marker" ]; then
      as_root pg_ctlcluster "$version" main stop
      rm -f "$marker"
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
