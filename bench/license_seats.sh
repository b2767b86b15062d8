#!/usr/bin/env bash
# Issue 7: a license change on a group of 100,000 — how long until a
# member's next launch sees it — on SQLite, then on PostgreSQL (a fresh
# database on BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432).
# See server/benches/license_seats.rs and BENCHMARKS.md, "License seats".
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
cargo bench --locked -p server --bench license_seats
db="myapps_seats_$$"
psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
BENCH_DATABASE_URL="$PG_URL/$db" cargo bench --locked -p server --bench license_seats
