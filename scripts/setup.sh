#!/usr/bin/env bash
# Installs what building, running and testing Tertulia needs, skipping what is already there
# at the right version. Safe to run again. Times are for a 2-core machine.
#
#   scripts/setup.sh          everything (build tools, wasm-opt, end2end npm packages, Chromium,
#                             PostgreSQL, Redis and nginx for the store and cluster tests)
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="132.0.0"
# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
TOOLS_DIR="$PWD/.tools"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"

say() { printf '\033[1;32m==>\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

have cargo || { echo "Rust is missing: install it from https://rustup.rs first" >&2; exit 1; }
have npm || { echo "Node.js and npm are missing: install them first (Debian: apt-get install nodejs npm)" >&2; exit 1; }

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "wasm32 target: present"
else
  say "wasm32 target: installing"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null)" = "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  say "cargo-leptos $CARGO_LEPTOS_VERSION: present"
else
  # A debug build of the tool: it only orchestrates builds, and compiling it this way takes
  # about 10 minutes instead of about 30.
  say "cargo-leptos $CARGO_LEPTOS_VERSION: installing (about 10 minutes, once)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --debug
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "wasm-bindgen $WASM_BINDGEN_VERSION: present"
else
  # No --locked: its lockfile pins a webpki-roots release that is not on crates.io.
  say "wasm-bindgen $WASM_BINDGEN_VERSION: installing (about 5 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if "$TOOLS_DIR/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  say "wasm-opt (binaryen $BINARYEN_VERSION): present"
else
  # Debian's binaryen is too old: its output breaks hydration. npm ships a current one.
  say "wasm-opt (binaryen $BINARYEN_VERSION): installing into .tools/"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION"
fi

if [ -d end2end/node_modules/@playwright/test ] && [ -d end2end/node_modules/socket.io-client ] \
   && [ end2end/node_modules/.package-lock.json -nt end2end/package-lock.json ]; then
  say "end2end npm packages: present"
else
  say "end2end npm packages: installing"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# Chromium for a person's eyes (headed runs, measure-first-load.mjs) and its headless shell,
# which the browser tests run on: the same engine at 40% less CPU (end2end/playwright.config.ts).
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromium-headless-shell ]; then
  say "Chromium and its headless shell: present"
else
  say "Chromium and its headless shell: installing Debian's packages (about a minute)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-headless-shell >/dev/null
fi

# Reactions are emoji: without a colour emoji font Chromium draws empty boxes in screenshots.
if dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then
  say "Emoji font for Chromium: present"
else
  say "Emoji font for Chromium: installing Debian's fonts-noto-color-emoji"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-color-emoji >/dev/null
fi

if command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  say "PostgreSQL server (for the store tests): present"
else
  say "PostgreSQL server (for the store tests): installing Debian's package"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# promtool (in Debian's prometheus package) lints the metrics endpoint's output.
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} = 0 ]; then
  say "Redis, nginx and promtool (cluster and metrics tests): present"
else
  say "Redis, nginx and promtool (cluster and metrics tests): installing Debian's ${missing[*]}"
  as_root apt-get update -qq
  # Only the programs: the tests start their own instances on loopback ports.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for service in redis-server nginx prometheus; do
    as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
fi
redis_version=$(redis-server --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
[ "${redis_version:-0}" -ge 7 ] || { echo "redis-server 7 or later is needed (found ${redis_version:-none})" >&2; exit 1; }

say "setup complete"
