#!/usr/bin/env bash
# The patched dependencies in vendor/ (vendor/README.md) are the ones the build uses, and what
# the tachys patch assumes still holds: nothing in the app hydrates asynchronously (a lazy
# route or island would be hydrated without waiting for it).
set -euo pipefail
cd "$(dirname "$0")/.."
failed=0
for crate in socketioxide engineioxide engineioxide-core tachys; do
  # A patch that no longer matches the version the lock file wants is left out of the graph
  # (cargo only warns): the crates.io copy would show here instead.
  found=$(cargo tree --workspace --target all -i "$crate" --depth 0 2>/dev/null | head -n 1)
  if [[ "$found" != *"/vendor/$crate)"* ]]; then
    echo "patched $crate not in use: ${found:-not in the dependency graph}" >&2
    failed=1
  fi
done
if grep -rnE 'hydrate_lazy|hydrate_islands|FlatRoutes|LazyRoute|#\[lazy' app/src frontend/src; then
  echo "asynchronous hydration in use: the tachys patch (vendor/README.md) must go first" >&2
  failed=1
fi
if [ "$failed" = 0 ]; then echo "patched dependencies: in use, and their assumptions hold"; fi
exit "$failed"
