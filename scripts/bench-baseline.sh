#!/usr/bin/env bash
# Builds the release server of an earlier commit for scripts/bench-compare.sh --baseline REV, so
# a run can measure Tertulia before and after a change side by side with the references.
#
#   scripts/bench-baseline.sh REV    prints the directory holding REV's server, hash.txt and site/
#
# The commit's tree is exported (git archive) to target/baseline/<sha>/src and built there with
# its own target directory (a full release build: about 15 minutes on two cores the first time;
# later runs reuse it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"
[ $# -eq 1 ] || { echo "usage: $0 REV" >&2; exit 2; }
sha=$(git rev-parse --verify --quiet "$1^{commit}") || { echo "bench-baseline: no commit $1" >&2; exit 2; }
short=$(git rev-parse --short "$sha")
out="$PWD/target/baseline/$short"
if [ ! -x "$out/server" ]; then
  rm -rf "$out"
  mkdir -p "$out/src"
  git archive "$sha" | tar -x -C "$out/src"
  echo "bench-baseline: building $short's release server in $out/src (full build)" >&2
  # Release builds are built without the debug-only cfg flags of the daily loop.
  (cd "$out/src" && env -u RUSTFLAGS -u CARGO_TARGET_DIR cargo leptos build --release >&2)
  cp "$out/src/target/release/server" "$out/src/target/release/hash.txt" "$out/"
  cp -r "$out/src/target/site" "$out/site"
  rm -rf "$out/src"
fi
echo "$out"
