#!/usr/bin/env bash
# Every check and test, as CI runs them: format, lints (native and wasm), one debug build shared
# by all stages (native commands use the workspace default-members, which leave out the
# wasm-only `frontend`), the Rust tests (unit + in-process Socket.IO), the cluster tests, then
# the browser tests (single server, then a cluster).
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

stage() { printf '\n\033[1;34m==== %s\033[0m\n' "$*"; }
start=$SECONDS

# Say up front when the disk under target/ is nearly full, rather than fail half-way through a
# compile (a warning only: the run goes on).
free_kib=$(df -Pk "${CARGO_TARGET_DIR:-.}" 2>/dev/null | awk 'NR == 2 { print $4 }' || true)
if [[ "$free_kib" =~ ^[0-9]+$ ]] && (( free_kib < 12 * 1024 * 1024 )); then
  echo "warning: only $((free_kib / 1024 / 1024)) GiB free here; a clean run needs about 10 GiB" >&2
fi

stage "format"
cargo fmt --all -- --check

stage "contract names only in crates/protocol"
scripts/check-names.sh

stage "patched dependencies in use"
scripts/check-patches.sh

stage "clippy (server side and native crates)"
cargo clippy --all-targets -- -D warnings
stage "clippy (browser side, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

stage "build (cargo leptos build, debug)"
# cargo-leptos appends its own `--cfg erase_components` to RUSTFLAGS: give it none, so the
# flags end up exactly equal to the ones above and cargo test reuses this build.
env -u RUSTFLAGS cargo leptos build

stage "Rust tests (store scenario also on a real PostgreSQL)"
TERTULIA_TEST_POSTGRES_URL="$(scripts/postgres.sh start)"
export TERTULIA_TEST_POSTGRES_URL
trap 'scripts/postgres.sh stop' EXIT
cargo test

stage "cluster tests (2 nodes, Redis, PostgreSQL, nginx; nodes and Redis killed under traffic)"
cargo test -p server --test cluster -- --ignored --test-threads 1

stage "browser tests (Playwright, Chromium)"
(cd end2end && npx playwright test)

stage "browser tests against a cluster (two browsers on two nodes)"
(cd end2end && npx playwright test -c cluster.config.ts)

stage "all passed in $((SECONDS - start)) s"
