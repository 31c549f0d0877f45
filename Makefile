# The two commands of the README, plus the daily loop. Each sets up what is missing first.
.PHONY: run test setup dev e2e bench

export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)

## Run Tertulia at http://127.0.0.1:3000 (release build, embedded SQLite in ./data).
run: setup
	cargo leptos serve --release

## Run every check and test (what CI runs).
test: setup
	scripts/test.sh

## Install whatever is missing (wasm target, cargo-leptos, wasm-bindgen, wasm-opt, npm packages, Chromium).
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
