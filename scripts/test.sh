#!/usr/bin/env bash
# Every check and test, as CI runs them: format, the contract's names, the patched crates, one
# debug build shared by all stages and linted by clippy as it compiles (native commands use the
# workspace default-members, which leave out the wasm-only `frontend`), the browser tests
# (while the Rust tests compile), the Rust tests (unit, in-process Socket.IO, the store and the
# live state on a real PostgreSQL and Redis), the deployed tests (a crash, a cluster), and the
# browser tests on a cluster.
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
  timeout --foreground --kill-after=30 "$bound" "$@" || status=$?
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

# stage_in_background NAME BOUND COMMAND...: starts a stage that runs while the next ones do;
# its output goes to a log, shown when `stage_wait` collects it.
background_pid=""
background_name=""
background_began=0
background_log=""
stage_in_background() {
  background_name=$1
  local bound=$2
  shift 2
  background_log=$(mktemp)
  printf '\n\033[1;34m==== %s\033[0m (bound %ss, in the background)\n' "$background_name" "$bound"
  background_began=$SECONDS
  timeout --kill-after=30 "$bound" "$@" >"$background_log" 2>&1 &
  background_pid=$!
}

# stage_wait: waits for the background stage, shows its output, and fails like `stage`.
stage_wait() {
  local status=0
  wait "$background_pid" || status=$?
  local took=$((SECONDS - background_began))
  printf '\n\033[1;34m==== %s (output)\033[0m\n' "$background_name"
  cat "$background_log"
  rm -f "$background_log"
  summary+=("$(printf '%5ss  %s' "$took" "$background_name")")
  background_pid=""
  if [ "$status" != 0 ]; then
    print_summary
    echo "stage '$background_name' failed (exit $status) after ${took}s" >&2
    exit "$status"
  fi
  printf '\033[1;34m---- %s: %ss\033[0m\n' "$background_name" "$took"
}

print_summary() {
  printf '\n\033[1;34m==== stage times\033[0m\n'
  printf '%s\n' "${summary[@]}"
  printf '%5ss  total\n' "$((SECONDS - start))"
}

cleanup() {
  if [ -n "$background_pid" ]; then kill "$background_pid" 2>/dev/null || true; fi
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
stage "build and lint (cargo leptos build, debug: server native, browser wasm)" 1200 env -u RUSTFLAGS cargo leptos build

# The browser tests need only the build: they run while the Rust tests are compiled (at low
# priority, so the browsers and their servers keep the cores they need).
stage_in_background "browser tests (Playwright, Chromium, three workers)" 900 \
  bash -c 'cd end2end && npx playwright test'
stage "Rust tests compiled (at low priority, beside the browser tests)" 900 nice -n 19 cargo test --no-run
stage_wait

TERTULIA_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
TERTULIA_TEST_REDIS_URL="$(scripts/redis.sh start)"
export TERTULIA_TEST_POSTGRES_URL TERTULIA_TEST_REDIS_URL
stage "Rust tests (store on PostgreSQL, live state on Redis)" 600 cargo test
stage "deployed tests (cluster: 2 nodes, Redis, PostgreSQL, nginx; kills under traffic)" 600 \
  cargo test -p server --test deployed -- --ignored --test-threads 1
stage "browser tests against a cluster (two browsers on two nodes)" 300 \
  bash -c 'cd end2end && npx playwright test -c cluster.config.ts'

print_summary
printf '\n\033[1;34m==== all passed in %s s\033[0m\n' "$((SECONDS - start))"
