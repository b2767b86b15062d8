#!/usr/bin/env bash
# Runs every test: unit and integration tests on SQLite, the integration
# tests again on PostgreSQL, and the browser tests (Playwright + axe-core in
# Debian's Chromium) against a freshly built portal with the demo org.
# Installs what is missing; needs no prior set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

apt_install() {
  if [[ -z "${APT_UPDATED:-}" ]]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

echo "==> formatting (cargo fmt --check)"
cargo fmt --all -- --check

echo "==> lints (cargo clippy, warnings are errors)"
cargo clippy --locked --workspace --exclude frontend --all-targets -- -D warnings

echo "==> building the browser bundle"
scripts/build.sh --site-only

# The e-mail tests send to a real SMTP server, Python's aiosmtpd (PyPI).
python3 -c "import aiosmtpd" 2>/dev/null || python3 -m pip install -q aiosmtpd

echo "==> unit and integration tests (SQLite)"
# frontend is the wasm entry point: building it for the host would compile
# app with both its ssr and hydrate features at once. This also builds
# target/debug/server, which the browser tests below run. Every cargo command
# here selects the same packages so the tree is compiled once (disk and time).
cargo_test() { cargo test --locked --workspace --exclude frontend "$@"; }
cargo_test

echo "==> integration tests (PostgreSQL)"
pg_url=${TEST_DATABASE_URL:-}
pg_tmp=""
if [[ -z "$pg_url" ]]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_url="postgres://postgres@127.0.0.1:5432/test"
  else
    echo "    no PostgreSQL answers on 127.0.0.1:5432: starting a private one"
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then apt_install postgresql; fi
    bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
    pg_tmp=$(mktemp -d)
    chmod 755 "$pg_tmp"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    run_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    [[ $(id -u) == 0 ]] && chown postgres "$pg_tmp"
    run_pg "$bin/initdb" -D "$pg_tmp/data" -U postgres -A trust >/dev/null
    run_pg "$bin/pg_ctl" -D "$pg_tmp/data" -o "-p $port -k $pg_tmp -c listen_addresses=127.0.0.1" -w start >/dev/null
    trap 'run_pg "$bin/pg_ctl" -D "$pg_tmp/data" -m fast stop >/dev/null 2>&1 || true' EXIT
    pg_url="postgres://postgres@127.0.0.1:$port/postgres"
  fi
fi
# Databases left by earlier runs (each test makes its own).
if command -v psql >/dev/null; then
  psql "$pg_url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'myapps_test_%'" 2>/dev/null \
    | while read -r db; do psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
fi
TEST_DATABASE_URL="$pg_url" cargo_test --test api

echo "==> browser tests (Chromium + axe-core)"
command -v chromium >/dev/null || apt_install chromium
command -v node >/dev/null || apt_install nodejs npm
(cd tests/browser && npm ci --no-audit --no-fund --silent)
data_dir=$(mktemp -d)
log="$data_dir/server.log"
LEPTOS_SITE_ADDR=127.0.0.1:0 MYAPPS_DATA_DIR="$data_dir" target/debug/server --demo >"$log" 2>&1 &
server_pid=$!
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
base=""
for _ in $(seq 1 300); do
  base=$(grep -o 'My Apps is running at http://[0-9.:]*' "$log" | awk '{print $NF}' || true)
  [[ -n "$base" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; echo "the server did not start"; exit 1; }
  sleep 0.1
done
[[ -n "$base" ]] || { cat "$log"; stop_server; echo "the server did not start in time"; exit 1; }
# The demo relying party, registered by the demo organisation at 127.0.0.1:4000.
cargo build --locked -p demo-rp
target/debug/demo-rp --issuer "$base" >"$data_dir/demo-rp.log" 2>&1 &
demo_rp_pid=$!
stop_server() {
  kill "$server_pid" "$demo_rp_pid" 2>/dev/null || true
  wait "$server_pid" "$demo_rp_pid" 2>/dev/null || true
}
for _ in $(seq 1 100); do
  grep -q 'is running at' "$data_dir/demo-rp.log" && break
  kill -0 "$demo_rp_pid" 2>/dev/null || { cat "$data_dir/demo-rp.log"; stop_server; echo "the demo relying party did not start"; exit 1; }
  sleep 0.1
done
set +e
(cd tests/browser && BASE_URL="$base" DEMO_RP_URL=http://127.0.0.1:4000 node --test --test-concurrency=1 ./*.test.mjs)
browser_status=$?
set -e

# Checkers we did not write, in a virtual environment of their own under
# target/ (kept between runs), pointed at the same running portal.
venv=target/py-checks
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" || { apt_install python3-venv; python3 -m venv "$venv"; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "openapi-spec-validator==0.9.0" "scim2-tester==0.5.2" "scim2-client==0.13.2" "scim2-models==0.12.3" "httpx2==2.16.2" \
  "authlib==1.9.10" "requests==2.32.5"

echo "==> the admin API's OpenAPI document (openapi-spec-validator)"
"$venv/bin/python" -c 'import sys, urllib.request; open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1]).read())' \
  "$base/api/v1/openapi.json" "$data_dir/openapi.json"
openapi_status=0
"$venv/bin/python" -m openapi_spec_validator "$data_dir/openapi.json" || openapi_status=$?

echo "==> SCIM 2.0 conformance (scim2-tester)"
scim_status=0
"$venv/bin/python" tests/scim/check.py "$base" morgan.lee@northwind.example Northwind-Demo-2026 || scim_status=$?

echo "==> OpenID Connect provider (Authlib's client)"
oidc_status=0
"$venv/bin/python" tests/oidc/check.py "$base" || oidc_status=$?
stop_server
if [[ $browser_status != 0 ]]; then
  echo "---- server log ----"; tail -n 50 "$log"
  exit "$browser_status"
fi
[[ $openapi_status == 0 ]] || { echo "the OpenAPI document is not valid OpenAPI 3.1"; exit "$openapi_status"; }
[[ $scim_status == 0 ]] || { echo "the SCIM endpoint failed scim2-tester's checks"; exit "$scim_status"; }
[[ $oidc_status == 0 ]] || { echo "the OpenID Connect provider failed Authlib's client"; exit "$oidc_status"; }
echo "==> all tests passed"
