#!/usr/bin/env bash
# Builds the portal and runs it with the demo organisation on an embedded
# SQLite file (data/), at http://127.0.0.1:3000 unless LEPTOS_SITE_ADDR says
# otherwise. Installs what is missing first.
#
#   scripts/run.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh "$@"
bin=target/debug/server
[[ "${1:-}" == "--release" ]] && bin=target/release/server
exec "$bin" --demo
