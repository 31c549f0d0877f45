#!/usr/bin/env bash
# Every check and test, as CI runs them: format, the contract's names, the patched crates, one
# debug build shared by all stages and linted by clippy as it compiles (native commands use the
# workspace default-members, which leave out the wasm-only `frontend`), the Rust tests (unit,
# in-process Socket.IO, the store and the live state on a real PostgreSQL and Redis), the
# deployed cluster tests (nodes and Redis killed under traffic), then the browser tests (single
# servers, then a cluster).
# (Running the browser tests while the Rust tests compiled at low priority saved nothing: the
# browsers slowed by as much, 2026-12-06.)
#
# Each stage prints how long it took and is stopped past its bound (a hung test fails the run
# instead of holding it until CI's own limit); the summary at the end lists every stage.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
# Build exactly as `cargo leptos build` does (debug builds use erased components), so that
# clippy and `cargo test` reuse its artifacts instead of compiling everything again.
export RUSTFLAGS="--cfg erase_components"
export LEPTOS_OUTPUT_NAME="chat"
# No incremental caches: a test run compiles each crate once, and the caches only take disk (tens
# of GB over the debug, test and wasm builds; a CI run once failed with "No space left on
# device"). Caches left by earlier builds stay until `cargo clean`.
export CARGO_INCREMENTAL=0
# Tests that need PostgreSQL or Redis fail when they are missing, instead of skipping.
export TERTULIA_TEST_REQUIRE_SERVICES=1
# Clippy runs as the compiler of the workspace's own crates inside the real builds (what `cargo
# clippy` does, without its separate check of every dependency, native and wasm): the build
# and the tests below fail on any lint, with `-D warnings`, and the dependencies are compiled
# once. (`cargo clippy --all-targets -- -D warnings` checks the same lints on its own.)
export RUSTC_WORKSPACE_WRAPPER
RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

start=$SECONDS
summary=()

# stage NAME BOUND_SECONDS COMMAND...: runs COMMAND as one stage, timed and bounded.
stage() {
  local name=$1 bound=$2
  shift 2
  printf '\n\033[1;34m==== %s\033[0m (bound %ss)\n' "$name" "$bound"
  local began=$SECONDS status=0
  # Not --foreground: timeout then runs the stage in a process group of its own and stops the
  # whole group (a hung test binary under cargo, the browsers and servers under Playwright).
  timeout --kill-after=30 "$bound" "$@" || status=$?
  local took=$((SECONDS - began))
  summary+=("$(printf '%5ss  %s' "$took" "$name")")
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "stage '$name' passed its bound of ${bound}s and was stopped" >&2
  fi
  if [ "$status" != 0 ]; then
    print_summary
    echo "stage '$name' failed (exit $status) after ${took}s" >&2
    exit "$status"
  fi
  printf '\033[1;34m---- %s: %ss\033[0m\n' "$name" "$took"
}

print_summary() {
  printf '\n\033[1;34m==== stage times\033[0m\n'
  printf '%s\n' "${summary[@]}"
  printf '%5ss  total\n' "$((SECONDS - start))"
}

cleanup() {
  scripts/postgres.sh stop || true
  scripts/redis.sh stop || true
}
trap cleanup EXIT

# Say up front when the disk under target/ is nearly full, rather than fail half-way through a
# compile (a warning only: the run goes on).
free_kib=$(df -Pk "${CARGO_TARGET_DIR:-.}" 2>/dev/null | awk 'NR == 2 { print $4 }' || true)
if [[ "$free_kib" =~ ^[0-9]+$ ]] && (( free_kib < 12 * 1024 * 1024 )); then
  echo "warning: only $((free_kib / 1024 / 1024)) GiB free here; a clean run needs about 10 GiB" >&2
fi

stage "format" 120 cargo fmt --all -- --check
stage "contract names only in crates/protocol" 60 scripts/check-names.sh
stage "patched dependencies in use" 120 scripts/check-patches.sh
# cargo-leptos appends its own `--cfg erase_components` to RUSTFLAGS: give it none, so the
# flags end up exactly equal to the ones above and cargo test reuses this build.
# (Compiling the server and the test targets in a second cargo beside it, to fill the core each
# build's last big crates leave idle, saved nothing from a clean checkout: 465 s for both
# against 356 + 95 one after the other, 2026-12-07. Both cores are busy all along.)
stage "build and lint (cargo leptos build, debug: server native, browser wasm)" 1200 env -u RUSTFLAGS cargo leptos build

TERTULIA_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
# A server to back up and an empty database to restore into (server/tests/deployed/backups.rs).
TERTULIA_TEST_POSTGRES_BACKUP_URL="$(scripts/postgres.sh start tertulia_backup --fresh)"
TERTULIA_TEST_POSTGRES_RESTORE_URL="$(scripts/postgres.sh start tertulia_restore --fresh)"
TERTULIA_TEST_REDIS_URL="$(scripts/redis.sh start)"
export TERTULIA_TEST_POSTGRES_URL TERTULIA_TEST_POSTGRES_BACKUP_URL TERTULIA_TEST_POSTGRES_RESTORE_URL \
  TERTULIA_TEST_REDIS_URL
stage "Rust tests and their lints (store on PostgreSQL, live state on Redis)" 900 cargo test
stage "deployed tests (cluster: 2 nodes, Redis, PostgreSQL, nginx; kills under traffic)" 600 \
  cargo test -p server --test deployed -- --ignored --test-threads 1
stage "browser tests (Playwright, Chromium, three workers)" 900 bash -c 'cd end2end && npx playwright test'
stage "browser tests against a cluster (two browsers on two nodes)" 300 \
  bash -c 'cd end2end && npx playwright test -c cluster.config.ts'

print_summary
printf '\n\033[1;34m==== all passed in %s s\033[0m\n' "$((SECONDS - start))"
