# Sourced by the run and test scripts after bootstrap.sh: tool paths and toolchain selection.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
# Cargo's bin first: cargo-leptos must find the native wasm-opt bootstrap.sh builds, never Debian's
# binaryen 108 (see bootstrap.sh).
export PATH="$CARGO_HOME/bin:$ROOT/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# One build cache for every checkout on this machine, outside the checkout: a fresh clone (what CI
# makes at every stop) reuses every compiled dependency and rebuilds only the workspace's crates.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/powerdeck/target}"
# The contract tester bootstrap.sh installs (its version is pinned there).
export SCHEMATHESIS="$(ls -d "$HOME"/.cache/powerdeck/schemathesis-*/bin/schemathesis 2>/dev/null | sort -V | tail -1)"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
# Set when the offline wasm32 fallback is in use (RUSTUP_TOOLCHAIN=debian-web); empty otherwise.
# shellcheck disable=SC1091
if [ -f "$ROOT/target/bootstrap-toolchain.env" ]; then source "$ROOT/target/bootstrap-toolchain.env"; fi

# The build cache is shared by every checkout on this machine. Cargo decides freshness by file
# times, so when another checkout built last, its artifacts of our own crates can look newer than
# our sources and be reused, with that checkout's code and paths. When the cache changes hands,
# touch our crates' sources: cargo then rebuilds them (dependencies stay cached), as it does for a
# fresh clone.
claim_build_cache() {
  local owner="$CARGO_TARGET_DIR/.last-checkout"
  mkdir -p "$CARGO_TARGET_DIR"
  if [ "$(cat "$owner" 2>/dev/null)" != "$ROOT" ]; then
    find "$ROOT"/{fieldbus,model,services,app,frontend,server,entity,migration,devices} \
      -type f \( -name '*.rs' -o -name Cargo.toml \) -exec touch {} +
    echo "$ROOT" >"$owner"
  fi
}
