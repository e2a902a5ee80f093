#!/usr/bin/env bash
# Builds Powerdeck in release mode and runs it on embedded SQLite (data/powerdeck.db, created on
# first start, migrations applied). Extra arguments go to `powerdeck serve`, e.g. --addr 0.0.0.0:3000.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
source scripts/env.sh
claim_build_cache
# --split: one WASM chunk per page (app/src/routes.rs); the bundle does not hydrate without it.
cargo leptos build --release --split --precompress
exec "$CARGO_TARGET_DIR/release/powerdeck" serve --site-root target/site --demo "$@"
