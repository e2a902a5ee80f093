#!/usr/bin/env bash
# Runs every test of Powerdeck, failing fast, in this order:
#   formatting -> clippy (server build, WASM build, devices with SocketCAN) -> Rust tests (unit,
#   database suite on a SQLite file and on a PostgreSQL server started on loopback for the run) ->
#   the size-optimised browser bundle (release WASM, precompressed) -> Playwright in headless
#   Chromium (hydrated and JavaScript-off projects) against the test build's server binary, which
#   shares every compiled dependency with the Rust tests instead of a second, release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
run_started=$SECONDS

# A cold run writes about COLD_RUN_GB in the build cache (debug, release and WASM builds). Stop before
# building, with a clear message, rather than with "No space left on device" in the middle of a step.
COLD_RUN_GB=8
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

RUST_PACKAGES=(-p fieldbus -p model -p services -p server -p app -p entity -p migration -p devices)
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

E2E_DIR=""
SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
cleanup() {
  stop_server
  stop_postgres
  [ -n "$E2E_DIR" ] && rm -rf "$E2E_DIR"
  # A failed step before the bundle finished: stop its build too.
  if [ -n "${BUNDLE_PID:-}" ]; then pkill -TERM -P "$BUNDLE_PID" 2>/dev/null; kill "$BUNDLE_PID" 2>/dev/null; fi
  [ -n "${BUNDLE_LOG:-}" ] && rm -f "$BUNDLE_LOG"
  return 0
}
trap cleanup EXIT

rust_tests() {
  start_postgres
  cargo nextest run "${RUST_PACKAGES[@]}" --no-tests=fail
  stop_postgres
}

e2e() {
  local port base i
  [ -x "$CARGO_TARGET_DIR/debug/powerdeck" ] || { echo "no $CARGO_TARGET_DIR/debug/powerdeck: the Rust tests build it" >&2; return 1; }
  E2E_DIR=$(mktemp -d /tmp/powerdeck-e2e.XXXXXX)
  port=$(free_port)
  base="http://127.0.0.1:$port"
  DATABASE_URL="sqlite://$E2E_DIR/data/powerdeck.db?mode=rwc" POWERDECK_LOG=info \
    "$CARGO_TARGET_DIR/debug/powerdeck" serve --addr "127.0.0.1:$port" --site-root target/site --demo --examples-dir examples \
    >"$E2E_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for i in $(seq 1 100); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$E2E_DIR/server.log"; echo "the server died at start-up" >&2; return 1; }
    sleep 0.2
  done
  curl -fsS "$base/readyz" >/dev/null || { cat "$E2E_DIR/server.log"; return 1; }
  POWERDECK_BASE_URL="$base" npx playwright test --config end2end/playwright.config.ts \
    || { echo "--- server log"; tail -50 "$E2E_DIR/server.log"; return 1; }
  # The first page over throttled links (figures, and a guard on the bytes a first visit moves).
  printf '\n==> first-page (at +%ss)\n' "$((SECONDS - run_started))"
  node end2end/perf/first-page.mjs --base "$base" --routes /registry --budget-kb "$FIRST_PAGE_BUDGET_KB"
  # The API against its generated OpenAPI document (schemathesis, every check, a short run).
  printf '\n==> contract (at +%ss)\n' "$((SECONDS - run_started))"
  bash scripts/contract.sh "$base" || { echo "--- server log"; tail -50 "$E2E_DIR/server.log"; return 1; }
}

# The browser bundle exactly as `scripts/run.sh` serves it (wasm-release profile, wasm-opt,
# precompressed): hydration bugs that only show in the optimised bundle are caught here. The server
# is the debug binary the Rust tests already built for the CLI tests (with the tests' features: a
# separate `cargo build -p server` would compile services, app and server a second time).
# cargo-leptos reruns wasm-bindgen and wasm-opt (about a minute) even when nothing changed, so the
# bundle is rebuilt only when what goes into it did: the browser crates, styles, assets, lock file
# and build settings.
bundle_inputs() {
  { find app model frontend style public -type f -print0 | sort -z | xargs -0 sha256sum
    sha256sum Cargo.toml Cargo.lock .cargo/config.toml rust-toolchain.toml package-lock.json; } | sha256sum | cut -d' ' -f1
}
build_bundle() {
  local stamp=target/site/.inputs-sha256 inputs
  inputs=$(bundle_inputs)
  # Bundle file names carry a content hash (powerdeck.<hash>.wasm).
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] && compgen -G 'target/site/pkg/powerdeck.*.wasm.br' >/dev/null; then
    echo "the bundle in target/site is up to date (its inputs have not changed)"
    return 0
  fi
  # A fresh pkg/: the server picks the bundle by its hashed names, so no older build may linger.
  rm -rf target/site/pkg
  cargo leptos build --release --split --precompress --frontend-only
  echo "$inputs" >"$stamp"
}
# The bundle builds in the background while clippy and the Rust tests run: its longest part,
# wasm-bindgen and binaryen's wasm-opt over every split chunk, keeps one core busy for minutes.
BUNDLE_PID=""
BUNDLE_LOG=""
start_bundle() {
  BUNDLE_LOG=$(mktemp /tmp/powerdeck-bundle.XXXXXX)
  build_bundle >"$BUNDLE_LOG" 2>&1 &
  BUNDLE_PID=$!
  echo "building in the background; its output follows the Rust tests"
}
finish_bundle() {
  local status=0
  wait "$BUNDLE_PID" || status=$?
  BUNDLE_PID=""
  cat "$BUNDLE_LOG"
  return "$status"
}

step fmt cargo fmt --all --check
# The view! macros, which rustfmt leaves alone (leptosfmt, then cargo fmt, formats them).
step leptosfmt leptosfmt --check --quiet app/src
step build-bundle-start start_bundle
step clippy-server cargo clippy "${RUST_PACKAGES[@]}" --all-targets -- -D warnings
step clippy-wasm cargo clippy -p frontend -p app -p model -p fieldbus --target wasm32-unknown-unknown -- -D warnings
# SocketCAN cannot run on this kernel, but it must keep compiling.
step clippy-socketcan cargo clippy -p devices --features socketcan --all-targets -- -D warnings
step rust-tests rust_tests
step build-bundle finish_bundle
step e2e e2e
