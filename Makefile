# The two commands of the README, plus the daily loop. Each sets up what is missing first.
.PHONY: run test setup dev e2e bench bench-cluster bench-compare cluster

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)

## Run Tertulia at http://127.0.0.1:3000 (release build, embedded SQLite in ./data).
run: setup
	cargo leptos serve --release

## Run every check and test (what CI runs).
test: setup
	scripts/test.sh

## Install whatever is missing (wasm target, cargo-leptos, wasm-bindgen, wasm-opt, npm packages, Chromium,
## PostgreSQL, Redis, nginx).
setup:
	scripts/setup.sh

## Development server with live reload.
dev: setup
	cargo leptos watch

## Browser tests only, against a fresh debug build.
e2e: setup
	cargo leptos build && cd end2end && npx playwright test

## Load benchmark (release build): N clients in one room, ack and fan-out latency.
bench: setup
	scripts/bench.sh

## The same benchmark, in one run: the single server, then 1 and 2 cluster nodes behind nginx.
bench-cluster: setup
	scripts/bench.sh --cluster

## Tertulia against Node socket.io and bare socketioxide, pinned, in one run: the ratio table.
bench-compare: setup
	scripts/bench-compare.sh

## A local cluster: Redis, PostgreSQL, 2 release nodes and nginx at http://127.0.0.1:8080.
cluster: setup
	cargo leptos build --release && deploy/cluster.sh --release
