#!/usr/bin/env bash
# Builds the whole site without cargo-leptos: the server binary, the browser
# bundle (wasm + JS glue via wasm-bindgen-cli, shrunk by wasm-opt) and the
# stylesheet, into target/site, each named after its content and
# precompressed (brotli, gzip), with pkg/manifest.json naming them. Installs
# what is missing (the wasm target, wasm-bindgen-cli pinned to the version in
# Cargo.lock, Debian's binaryen and brotli); never downloads a prebuilt binary.
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

# wasm-opt (binaryen) shrinks the wasm by two thirds. Debian's binaryen (108)
# cannot be used: reading and writing a module with two tables (wasm-bindgen
# adds an externref table to rustc's function table) it renumbers the
# tables' exports, and the bundle fails to start ("failed to grow table").
# binaryen 116, built from source by the wasm-opt crate, keeps them. Installed
# once (about 7 minutes on two cores), like wasm-bindgen-cli.
wasm_opt_version=0.116.1
wasm_opt="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-opt"
if [[ ! -x "$wasm_opt" ]] || (( $("$wasm_opt" --version | awk '{print $3}') < 116 )); then
  echo "==> installing wasm-opt $wasm_opt_version (binaryen 116; once, takes several minutes)"
  cargo install wasm-opt --version "$wasm_opt_version" --locked
fi
# brotli precompresses the files (the server never compresses per request).
if ! command -v brotli >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "==> installing brotli (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq brotli >/dev/null
  else
    echo "missing: brotli — install it (apt-get install brotli) and run this again" >&2
    exit 1
  fi
fi

site=target/site
pkg=$site/pkg
staging=target/site-staging
mkdir -p "$pkg" "$staging"

echo "==> building the browser bundle (wasm-release profile)"
cargo build --locked -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$staging" --out-name myapps \
  target/wasm32-unknown-unknown/wasm-release/frontend.wasm

echo "==> optimising the wasm for size (wasm-opt -Oz)"
# The features rustc enables for wasm32 by default; wasm-opt must accept them.
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals \
  "$staging/myapps_bg.wasm" -o "$staging/myapps.opt.wasm"

echo "==> naming files after their content, compressing them"
# A name that changes with the content lets browsers keep a file for a year
# (Cache-Control: immutable) and still never run a stale one.
hash_of() { sha256sum "$1" | cut -c1-16; }
rm -f "$pkg"/myapps.* "$pkg"/myapps_bg.* "$pkg/manifest.json"
js="myapps.$(hash_of "$staging/myapps.js").js"
wasm="myapps.$(hash_of "$staging/myapps.opt.wasm").wasm"
css="myapps.$(hash_of style/main.css).css"
icon="favicon.$(hash_of public/favicon.svg).svg"
cp "$staging/myapps.js" "$pkg/$js"
cp "$staging/myapps.opt.wasm" "$pkg/$wasm"
cp style/main.css "$pkg/$css"
rm -f "$pkg"/favicon.*
cp public/favicon.svg "$pkg/$icon"
cp -r public/. "$site/"
printf '{"css":"%s","js":"%s","wasm":"%s","icon":"%s"}\n' "$css" "$js" "$wasm" "$icon" > "$pkg/manifest.json"
# Served as they are (the server spends no CPU compressing per request).
for f in "$pkg/$js" "$pkg/$wasm" "$pkg/$css" "$pkg/$icon" "$site"/*.svg; do
  [[ -f "$f" ]] || continue
  brotli -q 11 -f -k "$f"
  gzip -9 -n -f -k "$f"
done
for f in "$pkg/$js" "$pkg/$wasm" "$pkg/$css"; do
  printf '    %-40s %8d bytes, %7d brotli, %7d gzip\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(stat -c %s "$f.br")" "$(stat -c %s "$f.gz")"
done

if [[ "$server" == no ]]; then exit 0; fi
echo "==> building the server ($profile)"
if [[ "$profile" == release ]]; then
  cargo build --locked -p server --release
else
  cargo build --locked -p server
fi
