#!/usr/bin/env bash
# Runs every test of Powerdeck, failing fast:
#   formatting -> the test build, linted by Clippy as it compiles (SocketCAN included; the WASM
#   crates are linted the same way by the bundle's build) ->
#   then side by side: the Rust tests (unit, database suite on a SQLite file and on a PostgreSQL
#   server started on loopback for the run) and, once the size-optimised browser bundle is built
#   (it builds in the background from the start), the first page's figures, Playwright in headless
#   Chromium (hydrated and JavaScript-off projects) and the contract run (schemathesis), each
#   against its own demo server: the test build's server binary, which shares every compiled
#   dependency with the Rust tests instead of a second, release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
run_started=$SECONDS

# A cold run writes about COLD_RUN_GB in the build cache (debug, release and WASM builds). Stop before
# building, with a clear message, rather than with "No space left on device" in the middle of a step.
COLD_RUN_GB=9
source scripts/env.sh
mkdir -p "$CARGO_TARGET_DIR"
free_gb=$(df -P --block-size=1G "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')
if [ ! -d "$CARGO_TARGET_DIR/debug" ] && [ "$free_gb" -lt "$COLD_RUN_GB" ]; then
  echo "scripts/test.sh: only ${free_gb} GB free on the disk holding $CARGO_TARGET_DIR; a first run needs about ${COLD_RUN_GB} GB." >&2
  echo "Free some space (old clones' target/ directories are the usual suspects) and run again." >&2
  exit 1
fi
bash scripts/bootstrap.sh
source scripts/env.sh
claim_build_cache

# Nothing changed since this checkout's last green run: the same sources (every tracked and
# untracked, not ignored file), the same tools and the same settings passed every test then, so
# they are not run again (as a build system caches test results). A fresh clone has no record
# and runs everything; POWERDECK_RETEST=1 runs everything anyway.
GREEN_RECORD=target/test-green.sha256
test_inputs() {
  { git ls-files -co --exclude-standard -z | sort -z | xargs -0 sha256sum 2>/dev/null
    rustc --version; cargo leptos --version; node --version; "$CHROMIUM_PATH" --version 2>/dev/null
    /usr/lib/postgresql/15/bin/postgres --version
    # (`|| true`: grep answers 1 when no such variable is set, and pipefail would end the run.)
    env | { grep -E '^POWERDECK_' || true; } | { grep -v '^POWERDECK_RETEST=' || true; } | sort
  } | sha256sum | cut -d' ' -f1
}
inputs_now=$(test_inputs)
if [ -z "${POWERDECK_RETEST:-}" ] && [ -f "$GREEN_RECORD" ] && [ "$(cut -d' ' -f1 "$GREEN_RECORD")" = "$inputs_now" ]; then
  echo "Nothing changed since this checkout's last green run ($(cut -d' ' -f2- "$GREEN_RECORD")): every test passed with these exact inputs ($inputs_now)."
  echo "POWERDECK_RETEST=1 bash scripts/test.sh runs them all again."
  exit 0
fi
rm -f "$GREEN_RECORD"

# No incremental compilation: a fresh clone (CI at every stop) rebuilds the workspace's crates
# from scratch, where writing the incremental caches only costs time (and gigabytes of disk).
export CARGO_INCREMENTAL=0

# The test build and the test run take the same packages and features (or cargo rebuilds).
# `devices/socketcan`: SocketCAN cannot run on this kernel, but its code must keep compiling and
# passing Clippy; its unit tests need no CAN interface.
RUST_PACKAGES=(-p fieldbus -p model -p services -p server -p app -p entity -p migration -p devices --features devices/socketcan)
# Each step prints its start time since the beginning of the run; nothing is printed after the
# last runner's summary, so the output ends with it.
step() {
  printf '\n==> %s (at +%ss)\n' "$1" "$((SECONDS - run_started))"
  shift
  "$@"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

PG_DIR=""
start_postgres() {
  local bin=/usr/lib/postgresql/15/bin port
  port=$(free_port)
  PG_DIR=$(mktemp -d /tmp/powerdeck-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
  as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log"; return 1; }
  # fsync off: the cluster is thrown away after the run.
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log"; return 1; }
  export POWERDECK_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL 15 on 127.0.0.1:$port ($PG_DIR)"
}
stop_postgres() {
  [ -n "$PG_DIR" ] || return 0
  as_postgres /usr/lib/postgresql/15/bin/pg_ctl -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

# The most a first visit of /registry may transfer: the issue's target, 400 KB. The WASM is split
# by route (`--split`): that visit measured 318 KB (main bundle 155 KB + the page's chunks 151 KB
# in brotli, page, styles).
FIRST_PAGE_BUDGET_KB=400

# Demo servers started for the browser tests and the contract run (one each, on their own
# databases, so that the contract run's writes never meet a spec's).
SERVER_PIDS=()
SERVER_DIRS=()
stop_servers() {
  local pid dir
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for dir in "${SERVER_DIRS[@]}"; do rm -rf "$dir"; done
  SERVER_PIDS=()
  SERVER_DIRS=()
}
cleanup() {
  # Browser tests still running in the background (a failed Rust test stops the run).
  # (`|| true` throughout: errexit holds in this trap too, and pkill answers 1 when nothing is left
  # to stop, which would turn a green run into exit status 1.)
  if [ -n "${BROWSER_PID:-}" ]; then pkill -TERM -P "$BROWSER_PID" 2>/dev/null || true; kill "$BROWSER_PID" 2>/dev/null || true; fi
  stop_servers
  stop_postgres
  # A failed step before the bundle finished: stop its build too.
  if [ -n "${BUNDLE_PID:-}" ]; then pkill -TERM -P "$BUNDLE_PID" 2>/dev/null || true; kill "$BUNDLE_PID" 2>/dev/null || true; fi
  rm -f "${BUNDLE_LOG:-}" "${BUNDLE_STATUS:-}" "${BROWSER_LOG:-}" "${BUILD_STARTED:-}" "${BUILD_DONE:-}"
  return 0
}
trap cleanup EXIT

rust_tests() {
  start_postgres
  cargo nextest run "${RUST_PACKAGES[@]}" --no-tests=fail
  stop_postgres
}

# Starts a demo server (the debug binary the Rust tests built) on a free port with a database of
# its own; sets SERVER_BASE, SERVER_LOG and SERVER_TOKEN (an admin API token of that server, with
# both scopes, named e2e-script: the specs' scripted REST calls and the contract run use it; pages
# sign in as the demo engineer).
start_server() {
  local dir port pid i
  [ -x "$CARGO_TARGET_DIR/debug/powerdeck" ] || { echo "no $CARGO_TARGET_DIR/debug/powerdeck: the test build makes it" >&2; return 1; }
  dir=$(mktemp -d /tmp/powerdeck-e2e.XXXXXX)
  port=$(free_port)
  SERVER_BASE="http://127.0.0.1:$port"
  SERVER_LOG="$dir/server.log"
  DATABASE_URL="sqlite://$dir/data/powerdeck.db?mode=rwc" POWERDECK_LOG=info \
    "$CARGO_TARGET_DIR/debug/powerdeck" serve --addr "127.0.0.1:$port" --site-root target/site --demo --examples-dir examples \
    >"$SERVER_LOG" 2>&1 &
  pid=$!
  SERVER_PIDS+=("$pid")
  SERVER_DIRS+=("$dir")
  for i in $(seq 1 150); do
    if curl -fsS "$SERVER_BASE/readyz" >/dev/null 2>&1; then
      SERVER_TOKEN=$(DATABASE_URL="sqlite://$dir/data/powerdeck.db?mode=rwc" \
        "$CARGO_TARGET_DIR/debug/powerdeck" token create e2e-script --role admin --allow-deploy --allow-device-writes 2>/dev/null)
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$SERVER_LOG"; echo "the server died at start-up" >&2; return 1; }
    sleep 0.2
  done
  cat "$SERVER_LOG"
  echo "the server was not ready after 30 s" >&2
  return 1
}

# The browser tests, the first page's figures and the contract run. They need the bundle, so
# they start when it and the server binary are ready (wait_for_server_binary, below) and run
# beside the rest of the test build and the Rust tests (much of both is waiting).
browser_tests() {
  local e2e_base e2e_log api_base api_log contract_pid status=0
  wait_for_server_binary
  wait_for_bundle
  start_server
  e2e_base=$SERVER_BASE
  e2e_log=$SERVER_LOG
  e2e_token=$SERVER_TOKEN
  # The first page over throttled links: a guard on the bytes a first visit moves, and its
  # figures (here while the rest of the run loads the machine; the README's come from a quiet one).
  printf '\n==> first-page (at +%ss)\n' "$((SECONDS - run_started))"
  node end2end/perf/first-page.mjs --base "$e2e_base" --routes /registry --budget-kb "$FIRST_PAGE_BUDGET_KB"
  # The API against its generated OpenAPI document (schemathesis, every check, a short run), on a
  # server of its own beside Playwright: its writes never meet a spec's.
  start_server
  api_base=$SERVER_BASE
  api_log=$SERVER_LOG
  POWERDECK_TOKEN=$SERVER_TOKEN bash scripts/contract.sh "$api_base" >"$api_log.contract" 2>&1 &
  contract_pid=$!
  printf '\n==> playwright (at +%ss)\n' "$((SECONDS - run_started))"
  # One worker (PLAYWRIGHT_WORKERS, unset): with two, the suite alone took 3.5 minutes instead of
  # about 5, but inside this run it starved the test build beside it (the run took 9 min 28 s
  # instead of 8 min 14 s), and a spec that checks that a refused import changes nothing (the
  # system version) saw the other worker's writes.
  POWERDECK_BASE_URL="$e2e_base" POWERDECK_TOKEN="$e2e_token" npx playwright test --config end2end/playwright.config.ts \
    || { status=$?; echo "--- server log"; tail -50 "$e2e_log"; }
  printf '\n==> contract (finished at +%ss)\n' "$((SECONDS - run_started))"
  wait "$contract_pid" || { status=$?; cat "$api_log.contract"; echo "--- server log"; tail -50 "$api_log"; return "$status"; }
  cat "$api_log.contract"
  return "$status"
}
# The browser tests need the server binary, not the test binaries: they start as soon as the
# test build has linked it (or, when the build did not need to link it again, once the build is
# done), and run beside the rest of that build. The build runs at a lower priority (BUILD_NICE)
# than the demo servers, Chromium and Playwright, so the browser tests, the run's longest step,
# go at full speed while the compiler takes the rest of the machine. The Rust tests keep normal
# priority: some wait on devices with timeouts of a few hundred milliseconds (a serial line's
# framing errors), and at nice 10 beside Playwright one such wait ran out.
BUILD_NICE=(nice -n 10)
BUILD_STARTED=""
BUILD_DONE=""
wait_for_server_binary() {
  until [ "$CARGO_TARGET_DIR/debug/powerdeck" -nt "$BUILD_STARTED" ] || [ -e "$BUILD_DONE" ]; do sleep 1; done
  printf '\n==> server binary ready (at +%ss)\n' "$((SECONDS - run_started))"
}
build_tests() {
  "${BUILD_NICE[@]}" cargo nextest run "${RUST_PACKAGES[@]}" --no-run "${TIMINGS[@]}"
  touch "$BUILD_DONE"
}
BROWSER_PID=""
BROWSER_LOG=""
start_browser_tests() {
  BROWSER_LOG=$(mktemp /tmp/powerdeck-browser.XXXXXX)
  # Its own servers are stopped when it ends, however it ends.
  ( trap stop_servers EXIT; trap 'exit 143' TERM; browser_tests ) >"$BROWSER_LOG" 2>&1 &
  BROWSER_PID=$!
  echo "running in the background; the output follows the Rust tests"
}
finish_browser_tests() {
  local status=0
  wait "$BROWSER_PID" || status=$?
  BROWSER_PID=""
  cat "$BROWSER_LOG"
  return "$status"
}

# The browser bundle exactly as `scripts/run.sh` serves it (wasm-release profile, wasm-opt,
# precompressed): hydration bugs that only show in the optimised bundle are caught here. The server
# is the debug binary the Rust tests already built for the CLI tests (with the tests' features: a
# separate `cargo build -p server` would compile services, app and server a second time).
# A fresh clone rebuilds the browser crates in the wasm-release profile (fat LTO: a minute and a
# half of one core) and cargo-leptos reruns wasm-bindgen, wasm-opt and the precompression, so
# a bundle is built once per content of what goes into it: the browser crates, styles, assets, lock
# files, build settings and tool versions. Built bundles are kept outside the checkout (the last
# few, by that content hash), so a fresh clone of sources this machine has built before (what CI
# runs at every stop) copies the bundle instead of building it. Server functions have fixed URLs
# (app/src/api/mod.rs), so a bundle does not depend on the directory it was built in.
BUNDLE_CACHE="${POWERDECK_BUNDLE_CACHE:-$HOME/.cache/powerdeck/bundles}"
BUNDLES_KEPT=4
bundle_inputs() {
  { find app model fieldbus frontend style public -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock .cargo/config.toml rust-toolchain.toml clippy.toml package-lock.json
    rustc --version; cargo leptos --version; wasm-opt --version; } | sha256sum | cut -d' ' -f1
}
build_bundle() {
  local stamp=target/site/.inputs-sha256 inputs cached fresh
  inputs=$(bundle_inputs)
  cached="$BUNDLE_CACHE/$inputs"
  # Bundle file names carry a content hash (powerdeck.<hash>.wasm).
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && compgen -G 'target/site/pkg/powerdeck.*.wasm.br' >/dev/null; then
    echo "the bundle in target/site is up to date (its inputs have not changed)"
    return 0
  fi
  # A fresh pkg/: the server picks the bundle by its hashed names, so no older build may linger.
  rm -rf target/site/pkg
  if [ -f "$cached/.inputs-sha256" ]; then
    mkdir -p target/site
    cp -a "$cached/." target/site/
    touch "$cached"
    echo "the bundle was built before from these inputs: copied from $cached"
    return 0
  fi
  # Clippy lints the browser crates (frontend, app, model, fieldbus for wasm32) as they compile,
  # as the test build does for the server side: clippy-driver in place of rustc for the
  # workspace's crates, `-D warnings`. A lint fails the build, so a bundle in the cache is also a
  # record that these inputs passed Clippy.
  RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver) \
    CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" \
    cargo leptos build --release --split --precompress --frontend-only
  echo "$inputs" >"$stamp"
  # Into the cache under a temporary name, then renamed: a run that stops half-way leaves no
  # half bundle under a real key.
  mkdir -p "$BUNDLE_CACHE"
  fresh=$(mktemp -d "$BUNDLE_CACHE/.incoming.XXXXXX")
  cp -a target/site/. "$fresh/"
  mv -T "$fresh" "$cached" 2>/dev/null || rm -rf "$fresh"
  # Keep the most recently used few.
  find "$BUNDLE_CACHE" -mindepth 1 -maxdepth 1 -type d -name '[0-9a-f]*' -printf '%T@ %p\n' \
    | sort -rn | tail -n +$((BUNDLES_KEPT + 1)) | cut -d' ' -f2- | xargs -r rm -rf
}
# The bundle builds in the background while the test build runs: its longest part, the browser
# crates' fat-LTO release build, keeps one core busy for minutes on a cold cache.
BUNDLE_PID=""
BUNDLE_LOG=""
BUNDLE_STATUS=""
start_bundle() {
  BUNDLE_LOG=$(mktemp /tmp/powerdeck-bundle.XXXXXX)
  BUNDLE_STATUS=$(mktemp /tmp/powerdeck-bundle-status.XXXXXX)
  ( status=0; build_bundle || status=$?; echo "$status" >"$BUNDLE_STATUS" ) >"$BUNDLE_LOG" 2>&1 &
  BUNDLE_PID=$!
  echo "building in the background; its output comes with the browser tests'"
}
# Waits for the bundle (from the browser tests' background job, which cannot `wait` for a sibling)
# and prints its output.
wait_for_bundle() {
  local status
  while [ ! -s "$BUNDLE_STATUS" ]; do sleep 0.5; done
  printf '\n==> build-bundle (done at +%ss)\n' "$((SECONDS - run_started))"
  cat "$BUNDLE_LOG"
  status=$(cat "$BUNDLE_STATUS")
  return "$status"
}
step fmt cargo fmt --all --check
# The view! macros, which rustfmt leaves alone (leptosfmt, then cargo fmt, formats them).
step leptosfmt leptosfmt --check --quiet app/src
step build-bundle-start start_bundle
# Builds every test binary and the server binary the browser tests run, and lints the server
# side on the way: clippy-driver compiles the workspace's crates as rustc does and runs Clippy's
# lints as it goes (`cargo clippy` is the same driver behind a check build). This replaces a
# separate `cargo clippy --all-targets` of the same packages, whose check build of every
# dependency took 12 of the 26 minutes of a cold run and 100 s of a warm one. The packages have
# no benches or examples, so the test build covers every target `--all-targets` did.
# CLIPPY_ARGS is how cargo-clippy hands its arguments to the driver: `-D warnings`.
# POWERDECK_CARGO_TIMINGS=1 writes cargo's timing report of this build
# ($CARGO_TARGET_DIR/cargo-timings/cargo-timing.html): where a cold build spends its time.
TIMINGS=()
if [ -n "${POWERDECK_CARGO_TIMINGS:-}" ]; then TIMINGS=(--timings); fi
# Exported from here on: the test run's `cargo nextest run` must see the same wrapper, or cargo
# takes the workspace's crates for changed and compiles them again. (The bundle's build started
# before, without it; `cargo clippy` sets its own.)
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver)
CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
BUILD_STARTED=$(mktemp /tmp/powerdeck-build-started.XXXXXX)
BUILD_DONE="$BUILD_STARTED.done"
step browser-tests-start start_browser_tests
step build-tests build_tests
step rust-tests rust_tests
step browser-tests finish_browser_tests
# Every step passed (errexit): record the inputs of this green run.
mkdir -p target
echo "$inputs_now $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$GREEN_RECORD"
