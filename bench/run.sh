#!/usr/bin/env bash
# The hot-path benchmarks, in one command (BENCHMARKS.md explains each):
#   bench/run.sh            everything: SQLite and PostgreSQL
#   bench/run.sh --sqlite   SQLite only (no PostgreSQL needed)
#   bench/run.sh --postgres PostgreSQL only (no first load, no flood)
#   bench/run.sh --flood    only the sign-in flood
#   bench/run.sh --tokens   only the token endpoint, on both backends
#
# Builds release binaries, starts the portal on fresh databases with the
# demo organisation, starts a bare axum 303 handler as the reference, and
# prints: bytes transferred per page (Chromium, cold cache), idle memory,
# launch throughput and p99 as a ratio of the bare handler (same run, on
# each backend), and a sign-in flood's memory, latency of other requests and
# password checks per second against hashing alone (same run).
# Load comes from wrk (Debian). Nothing here is part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

backends=(sqlite postgres)
[[ "${1:-}" == "--sqlite" ]] && backends=(sqlite)
[[ "${1:-}" == "--postgres" ]] && backends=(postgres)
[[ "${1:-}" == "--flood" ]] && backends=()
only_tokens=false
[[ "${1:-}" == "--tokens" ]] && only_tokens=true
DURATION=${BENCH_SECONDS:-10}
FLOOD_SECONDS=${BENCH_FLOOD_SECONDS:-60}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
scripts/build.sh --release >/dev/null
cargo build --locked --release -p server --bin bare_redirect --bin hash_rate
# The token endpoint's load generator (server/benches/token_grants.rs).
cargo bench --locked -q -p server --bench token_grants --no-run 2>/dev/null
(cd tests/browser && npm ci --no-audit --no-fund --silent)

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }

# start_portal NAME [ENV=VALUE...]: starts the release server with the demo;
# sets $base and $pid.
start_portal() {
  local name=$1; shift
  local port; port=$(free_port)
  mkdir -p "$work/$name"
  env LEPTOS_SITE_ADDR=127.0.0.1:$port MYAPPS_DATA_DIR="$work/$name" "$@" \
    target/release/server --demo >"$work/$name/log" 2>&1 &
  pid=$!; pids+=("$pid")
  base=http://127.0.0.1:$port
  for _ in $(seq 1 600); do
    grep -q "My Apps is running at" "$work/$name/log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name/log"; exit 1; }
    sleep 0.1
  done
  echo "the portal did not start"; exit 1
}

# sign_in BASE UPN: prints a Cookie header value for a signed-in session.
sign_in() {
  local jar="$work/jar.$RANDOM"
  local csrf
  csrf=$(curl -s -c "$jar" -H 'accept: text/html' "$1/sign-in" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
  curl -s -b "$jar" -c "$jar" -o /dev/null -H 'accept: text/html' \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "upn=$2" --data-urlencode "password=Northwind-Demo-2026" "$1/auth/sign-in"
  awk '$6 ~ /mya_session/ {print $6"="$7}' "$jar"
}

app_id() { curl -s -H "cookie: $2" "$1/api/v1/me/apps" | python3 -c "import json,sys; print([a['id'] for a in json.load(sys.stdin)['apps'] if a['name']=='$3'][0])"; }

# wrk_run URL CONNECTIONS SECONDS [extra wrk args]: prints "requests/s p99_ms".
wrk_run() {
  local out
  out=$(wrk -t2 -c"$2" -d"$3"s --latency "${@:4}" "$1")
  local rps p99
  rps=$(awk '/^Requests\/sec/{print $2}' <<<"$out")
  p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  echo "$rps $p99"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%F)"

# --- Reference: a bare axum 303 handler -----------------------------------
bare_port=$(free_port)
target/release/bare_redirect 127.0.0.1:$bare_port >/dev/null &
pids+=($!)
sleep 0.5
bare_base=http://127.0.0.1:$bare_port
bare=$bare_base/launch/00000000-0000-7000-8000-000000000000

for backend in ${backends[@]+"${backends[@]}"}; do
  echo
  echo "== $backend"
  if [[ $backend == postgres ]]; then
    db="myapps_bench_$$"
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" >/dev/null
    start_portal pg DATABASE_URL="$PG_URL/$db" MYAPPS_SECRET_KEY="$(openssl rand -hex 32)"
  else
    start_portal sqlite
  fi
  if $only_tokens; then
    cargo bench --locked -q -p server --bench token_grants -- "$base" "$DURATION" "$bare_base"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [[ $backend == postgres ]] && psql "$PG_URL/postgres" -qc "DROP DATABASE $db" >/dev/null
    continue
  fi
  echo "RSS right after creating the demo: $(( $(rss_kb "$pid") / 1024 )) MB"
  # Idle: tokio's blocking threads (where the demo's passwords were hashed)
  # exit after 10 s unused, and with them their allocator caches.
  sleep 15
  echo "idle RSS (15 s later): $(( $(rss_kb "$pid") / 1024 )) MB"
  if [[ $backend == sqlite ]]; then
    node bench/first-load.mjs "$base"
  fi
  cookie=$(sign_in "$base" alex.wu@northwind.example)
  mail=$(app_id "$base" "$cookie" Mail)
  # Warm both up, then alternate three rounds; the ratio of medians.
  wrk_run "$bare" 64 2 >/dev/null
  wrk_run "$base/launch/$mail" 64 2 -H "cookie: $cookie" >/dev/null
  bare_runs=(); launch_runs=(); launch_p99=(); bare_p99=()
  for _ in 1 2 3; do
    read -r r p < <(wrk_run "$bare" 64 "$DURATION"); bare_runs+=("$r"); bare_p99+=("$p")
    read -r r p < <(wrk_run "$base/launch/$mail" 64 "$DURATION" -H "cookie: $cookie"); launch_runs+=("$r"); launch_p99+=("$p")
  done
  python3 - "${bare_runs[*]}" "${launch_runs[*]}" "${bare_p99[*]}" "${launch_p99[*]}" <<'EOF'
import statistics, sys
bare, launch, bp, lp = ([float(x) for x in a.split()] for a in sys.argv[1:5])
b, l = statistics.median(bare), statistics.median(launch)
print(f"bare 303:  {b:9.0f} req/s  p99 {statistics.median(bp):6.2f} ms   (runs: {', '.join(f'{x:.0f}' for x in bare)})")
print(f"launch:    {l:9.0f} req/s  p99 {statistics.median(lp):6.2f} ms   (runs: {', '.join(f'{x:.0f}' for x in launch)})")
print(f"launch / bare = {l / b:.3f}")
EOF
  events=$(curl -s "$base/metrics" | awk '/myapps_launches_total\{outcome="success"/{s+=$2} END{print s+0}')
  echo "launches recorded as successful sign-in events: $events"
  # The token endpoint: refresh grants (each a real rotation) and
  # client-credentials grants, 64 connections.
  cargo bench --locked -q -p server --bench token_grants -- "$base" "$DURATION" "$bare_base"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  [[ $backend == postgres ]] && psql "$PG_URL/postgres" -qc "DROP DATABASE $db" >/dev/null
done

# --- Sign-in flood (SQLite, per-address throttle off) ------------------------
[[ "${1:-}" == "--postgres" || "${1:-}" == "--tokens" ]] && exit 0
echo
echo "== sign-in flood: 256 connections posting unknown-account sign-ins for ${FLOOD_SECONDS}s"
read -r _ hash_rate < <(target/release/hash_rate 10)
echo "hashing alone (same cores, same parameters): $hash_rate checks/s"
start_portal flood MYAPPS_SIGN_IN_FAILURES_PER_IP=0
cookie=$(sign_in "$base" alex.wu@northwind.example)
mail=$(app_id "$base" "$cookie" Mail)
jar="$work/flood.jar"
csrf=$(curl -s -c "$jar" -H 'accept: text/html' "$base/sign-in" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"$//')
anon=$(awk '$6 ~ /mya_csrf/ {print $6"="$7}' "$jar")
cat > "$work/flood.lua" <<EOF
wrk.method = "POST"
wrk.headers["content-type"] = "application/x-www-form-urlencoded"
wrk.headers["cookie"] = "$anon"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, "csrf_token=$csrf&upn=nobody" .. counter .. "%40northwind.example&password=Spring2026%21")
end
EOF
checks_before=$(curl -s "$base/metrics" | awk '/myapps_http_requests_total\{method="POST",route="\/auth\/sign-in",status="303"\}/{print $2}')
checks_before=${checks_before:-0}
rss_max=0
wrk -t2 -c256 -d"${FLOOD_SECONDS}"s --timeout 30s -s "$work/flood.lua" "$base/auth/sign-in" >"$work/flood.out" &
flood=$!
sleep 5
# Other people meanwhile, at a steady pace (each connection waits 40 ms
# between requests: 100 launches/s and 100 probes/s), not flat out: the
# question is how long they wait, not how much more CPU they can take.
echo 'function delay() return 40 end' > "$work/pace.lua"
wrk -t1 -c4 -d$((FLOOD_SECONDS - 15))s --latency -s "$work/pace.lua" -H "cookie: $cookie" "$base/launch/$mail" >"$work/flood.launch" &
probe1=$!
wrk -t1 -c4 -d$((FLOOD_SECONDS - 15))s --latency -s "$work/pace.lua" "$base/healthz" >"$work/flood.health" &
probe2=$!
while kill -0 "$flood" 2>/dev/null; do
  r=$(rss_kb "$pid"); (( r > rss_max )) && rss_max=$r
  sleep 1
done
wait "$probe1" "$probe2" || true
checks_after=$(curl -s "$base/metrics" | awk '/myapps_http_requests_total\{method="POST",route="\/auth\/sign-in",status="303"\}/{print $2}')
refused=$(curl -s "$base/metrics" | awk '/^myapps_password_checks_refused_total/{print $2}')
p99() { awk '$1=="99%"{print $2}' "$1"; }
echo "max RSS during the flood: $(( rss_max / 1024 )) MB"
echo "launch p99 during the flood: $(p99 "$work/flood.launch")   /healthz p99: $(p99 "$work/flood.health")"
python3 - "$checks_before" "$checks_after" "$FLOOD_SECONDS" "$hash_rate" "${refused:-0}" <<'EOF'
import sys
before, after, seconds, alone, refused = (float(x) for x in sys.argv[1:6])
rate = (after - before) / seconds
print(f"password checks completed: {rate:.1f}/s = {rate / alone:.2f} x hashing alone; answered 503: {refused:.0f}")
EOF
sleep 5
echo "RSS 5 s after the flood: $(( $(rss_kb "$pid") / 1024 )) MB"
# tokio's blocking threads, where the hashes ran, end after 10 s idle, and
# the allocator returns what they held.
sleep 15
echo "RSS 20 s after the flood: $(( $(rss_kb "$pid") / 1024 )) MB"
