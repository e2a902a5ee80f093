#!/usr/bin/env bash
# Installs everything Powerdeck needs to build, run and test on a Debian 12 machine whose only
# network is the package registries (crates.io, npm, Debian apt). Idempotent: every step first
# checks whether its result is already there, so a warm run takes seconds.
#
#   bash scripts/bootstrap.sh
#
# Steps: Debian packages (Chromium, PostgreSQL, socat, the mold linker) -> the wasm32 target (rustup, else an
# offline build of std from Debian's rustc-web sources) -> cargo-leptos (built without run-time
# downloads) -> wasm-bindgen-cli at exactly the Cargo.lock version -> binaryen's wasm-opt (native,
# from crates.io) -> npm packages (Playwright, axe-core; no browser download).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
RUSTUP_TARGET_TIMEOUT="${RUSTUP_TARGET_TIMEOUT:-60}"
DEBIAN_TOOLCHAIN_NAME=debian-web
DEBIAN_TOOLCHAIN_DIR=/opt/rust-debian-web
WASM_SYSROOT_LIB=/usr/lib/rustlib/wasm32-unknown-unknown/lib
LOG_DIR="$ROOT/target/bootstrap-logs"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export PATH="$CARGO_HOME/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
mkdir -p "$LOG_DIR"

started=$SECONDS
log() { printf '==> [bootstrap %3ss] %s\n' "$((SECONDS - started))" "$*"; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
# quietly: run a long step with its output in a log file; show the tail if it fails
quietly() {
  local name=$1; shift
  if ! "$@" >"$LOG_DIR/$name.log" 2>&1; then
    tail -40 "$LOG_DIR/$name.log" >&2
    die "$name failed (full log: $LOG_DIR/$name.log)"
  fi
}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# ------------------------------------------------------------------ 1. Debian packages
apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ $apt_updated = 0 ]; then quietly apt-update as_root apt-get update -qq; apt_updated=1; fi
  quietly apt-install as_root apt-get install -y --no-install-recommends "${missing[@]}"
}
apt_install ca-certificates build-essential pkg-config chromium chromium-driver \
  postgresql-15 socat fonts-dejavu-core mold
have node && have npm || apt_install nodejs npm
# Debian's binaryen 108 ships a wasm-opt that breaks wasm-bindgen's externref table (hydration
# dies in release builds only); wasm-opt 116 is built from crates.io instead (step 3).
if dpkg-query -W -f='${Status}' binaryen 2>/dev/null | grep -q 'install ok installed'; then
  log "removing Debian binaryen (its wasm-opt breaks hydration)"
  quietly apt-remove-binaryen as_root apt-get remove -y binaryen
fi

# ------------------------------------------------------------------ 2. the Rust toolchain
# rust-toolchain.toml pins 1.95.0. On these machines it is the installed stable toolchain.
pinned="$(awk -F'"' '/^channel/ { print $2 }' rust-toolchain.toml)"
if have rustup && ! rustup toolchain list | grep -q "^$pinned"; then
  stable_dir="$(rustup run stable rustc --print sysroot 2>/dev/null || true)"
  if [ -n "$stable_dir" ] && [ "$(rustup run stable rustc --version | awk '{print $2}')" = "$pinned" ]; then
    log "linking the installed stable toolchain as $pinned"
    rustup toolchain link "$pinned" "$stable_dir"
  fi
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" \
    || timeout 120 rustup component add "$component" >/dev/null 2>&1 || true
done

wasm_std_ok() {
  local libdir
  libdir=$("$@" --print target-libdir --target wasm32-unknown-unknown 2>/dev/null) || return 1
  ls "$libdir"/libstd-*.rlib >/dev/null 2>&1
}

build_debian_wasm_sysroot() {
  # Compile std for wasm32 with Debian's rustc-web from its own sources, once.
  local stamp="$WASM_SYSROOT_LIB/../.powerdeck-stamp" want work
  want=$(/usr/bin/rustc -vV)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && ls "$WASM_SYSROOT_LIB"/libstd-*.rlib >/dev/null 2>&1; then
    return 0
  fi
  work=$(mktemp -d /tmp/wasm-sysroot.XXXXXX)
  mkdir -p "$work/src"
  printf '[package]\nname = "sysroot-dummy"\nversion = "0.0.0"\nedition = "2021"\n[profile.release]\ncodegen-units = 1\n' >"$work/Cargo.toml"
  echo '#![no_std]' >"$work/src/lib.rs"
  (cd "$work" && env -u RUSTUP_TOOLCHAIN PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    RUSTFLAGS="-Cembed-bitcode=yes" CARGO_TARGET_DIR="$work/target" \
    /usr/bin/cargo build --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,core,alloc,proc_macro,panic_abort,panic_unwind,test)
  as_root rm -rf "$WASM_SYSROOT_LIB"
  as_root mkdir -p "$WASM_SYSROOT_LIB"
  find "$work/target/wasm32-unknown-unknown/release/deps" -maxdepth 1 \( -name 'lib*.rlib' -o -name 'lib*.rmeta' \) \
    ! -name 'libsysroot_dummy-*' -exec cp -f {} "$WASM_SYSROOT_LIB/" \;
  echo "$want" | as_root tee "$stamp" >/dev/null
  rm -rf "$work"
}

install_debian_rust() {
  apt_install rustc-web cargo-web rust-web-src libstd-rust-web-dev rust-web-llvm lld-22
  as_root mkdir -p "$DEBIAN_TOOLCHAIN_DIR/bin" "$DEBIAN_TOOLCHAIN_DIR/lib"
  for b in rustc cargo rustdoc; do as_root ln -sfn "/usr/bin/$b" "$DEBIAN_TOOLCHAIN_DIR/bin/$b"; done
  rustup toolchain list | grep -q "^$DEBIAN_TOOLCHAIN_NAME" \
    || rustup toolchain link "$DEBIAN_TOOLCHAIN_NAME" "$DEBIAN_TOOLCHAIN_DIR"
}

toolchain_env="$ROOT/target/bootstrap-toolchain.env"
if wasm_std_ok rustc; then
  : >"$toolchain_env"
elif timeout -k 5 "$RUSTUP_TARGET_TIMEOUT" rustup target add wasm32-unknown-unknown >"$LOG_DIR/rustup-target.log" 2>&1 \
  && wasm_std_ok rustc; then
  log "installed the wasm32 target with rustup"
  : >"$toolchain_env"
else
  log "rustup cannot fetch the wasm32 target: building it offline from Debian's rustc-web (once)"
  install_debian_rust
  quietly wasm-sysroot build_debian_wasm_sysroot
  wasm_std_ok /usr/bin/rustc || die "the self-built wasm32 std is not usable"
  echo "export RUSTUP_TOOLCHAIN=$DEBIAN_TOOLCHAIN_NAME" >"$toolchain_env"
fi
# shellcheck disable=SC1090
source "$toolchain_env"

# ------------------------------------------------------------------ 3. cargo-leptos, wasm-bindgen
# cargo-leptos 0.3.11 needs rustc >= 1.96 to build: use the installed nightly, else Debian's.
host_toolchain() {
  local tc v
  for tc in nightly "$DEBIAN_TOOLCHAIN_NAME"; do
    rustup toolchain list | grep -q "^$tc" || continue
    v=$(rustup run "$tc" rustc --version 2>/dev/null | awk '{print $2}' | sed 's/-.*//')
    if [ "$(printf '%s\n1.96.0\n' "$v" | sort -V | head -1)" = 1.96.0 ]; then echo "$tc"; return; fi
  done
  install_debian_rust
  echo "$DEBIAN_TOOLCHAIN_NAME"
}

if [ "$(cargo-leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  tc=$(host_toolchain)
  log "building cargo-leptos $CARGO_LEPTOS_VERSION with $tc (about 15 minutes on 2 cores, once)"
  # Without its fat-LTO release profile the build is ~20% faster; `no_downloads` turns a missing
  # tool into a clear error instead of a download attempt.
  quietly cargo-leptos env CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    rustup run "$tc" cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (must equal Cargo.lock's wasm-bindgen)"
  install_wasm_bindgen() {
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --force \
      || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  }
  quietly wasm-bindgen-cli install_wasm_bindgen
fi

# binaryen's wasm-opt, native, from the `wasm-opt` crate (binaryen 116, its C++ compiled here, about
# 8 minutes once). npm's binaryen is binaryen compiled to WebAssembly and run by Node: it took
# 155 s of the bundle's build for what the native one does in 33 s (-Oz) or 6 s (-O1, what the
# bundle uses: wasm-opt-features in Cargo.toml). No DWARF support: nothing here keeps debug info.
WASM_OPT_VERSION=116
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "$WASM_OPT_VERSION" ]; then
  log "building binaryen's wasm-opt $WASM_OPT_VERSION (native, about 8 minutes on 2 cores, once)"
  quietly wasm-opt cargo install wasm-opt --version "0.$WASM_OPT_VERSION.1" --locked --no-default-features --force
fi

# ------------------------------------------------------------------ 4. npm packages
# node_modules/.package-lock.json is rewritten by every install: newer than package-lock.json
# means the tree matches the lock.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci (Playwright, axe-core)"
  quietly npm-ci npm ci --no-audit --no-fund
fi
# An older checkout's npm binaryen must not shadow the native wasm-opt (cargo-leptos puts
# node_modules/.bin first on its PATH).
[ ! -e node_modules/.bin/wasm-opt ] || die "node_modules/.bin/wasm-opt (npm's binaryen) is still installed: run npm ci"

LEPTOSFMT_VERSION=0.1.33
if [ "$(leptosfmt --version 2>/dev/null)" != "leptosfmt $LEPTOSFMT_VERSION" ]; then
  log "building leptosfmt $LEPTOSFMT_VERSION (the view! formatter the test command checks with)"
  quietly leptosfmt cargo install leptosfmt --version "$LEPTOSFMT_VERSION" --locked --force
fi

# schemathesis: the property-based contract tester that the test command runs against the demo
# server's generated OpenAPI document. Pinned, in a virtual environment outside the checkout.
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV="$HOME/.cache/powerdeck/schemathesis-$SCHEMATHESIS_VERSION"
if [ ! -x "$SCHEMATHESIS_VENV/bin/schemathesis" ]; then
  log "pip install schemathesis $SCHEMATHESIS_VERSION"
  install_schemathesis() {
    rm -rf "$SCHEMATHESIS_VENV"
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  }
  quietly schemathesis install_schemathesis
fi

log "ready: $(rustc --version | awk '{print $1, $2}'), cargo-leptos $CARGO_LEPTOS_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION, $(chromium --version 2>/dev/null | head -1)"
