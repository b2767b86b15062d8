#!/usr/bin/env bash
# Builds the whole site without cargo-leptos: the server binary, the browser
# bundle (wasm + JS glue via wasm-bindgen-cli) and the stylesheet, into
# target/site. Installs what is missing (the wasm target, wasm-bindgen-cli
# pinned to the version in Cargo.lock); never downloads a prebuilt binary.
#
#   scripts/build.sh [--release] [--site-only]
#     --release    optimised server (debug by default)
#     --site-only  the browser bundle and static files, not the server: the
#                  test command lets `cargo test` build the server binary, so
#                  the dependency tree is compiled once, with the test features
set -euo pipefail
cd "$(dirname "$0")/.."

profile=dev
server=yes
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    --site-only) server=no ;;
    *) echo "unknown option: $arg (expected --release or --site-only)" >&2; exit 2 ;;
  esac
done

bindgen_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  echo "==> adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
if ! command -v wasm-bindgen >/dev/null || [[ "$(wasm-bindgen --version | awk '{print $2}')" != "$bindgen_version" ]]; then
  echo "==> installing wasm-bindgen-cli $bindgen_version (once; takes a few minutes)"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --locked
fi

site=target/site
mkdir -p "$site/pkg"

echo "==> building the browser bundle (wasm-release profile)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name myapps \
  target/wasm32-unknown-unknown/wasm-release/frontend.wasm

echo "==> copying the stylesheet and static files"
cp style/main.css "$site/pkg/myapps.css"
cp -r public/. "$site/"

if [[ "$server" == no ]]; then exit 0; fi
echo "==> building the server ($profile)"
if [[ "$profile" == release ]]; then
  cargo build --locked -p server --release
else
  cargo build --locked -p server
fi
