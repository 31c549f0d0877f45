#!/usr/bin/env bash
# Runs the patched engineioxide's own test suite (vendor/README.md): upstream's tests of the
# heartbeat, volatile packets, peeked packets and disconnect reasons, plus the unit tests the
# patches added. Not part of `make test` (a build of its own, about three minutes on two
# cores): run it after changing anything in vendor/engineioxide or vendor/engineioxide-core.
#
# vendor/ is excluded from the workspace, so the crate is copied out of it and built against
# the patched engineioxide-core, in a target directory of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r vendor/engineioxide "$copy/engineioxide"
cd "$copy/engineioxide"
env -u RUSTC_WORKSPACE_WRAPPER -u RUSTFLAGS CARGO_TARGET_DIR="${VENDORED_TARGET:-$OLDPWD/target/vendored}" \
  cargo test --config "patch.crates-io.engineioxide-core.path=\"$OLDPWD/vendor/engineioxide-core\"" \
  --features v3,__test_harness --tests
