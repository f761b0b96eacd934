#!/usr/bin/env bash
# Benchmarks KOI the way producers load it, beside what they would use
# otherwise, and writes bench/results.md. One command on a fresh machine:
#
#   scripts/bench.sh
#
# Push: POST /v1/data (10 values, 10 indicators with intervals) with wrk at
# BENCH_CONNECTIONS (50) connections for BENCH_SECONDS (20) against KOI on
# SQLite and on PostgreSQL, a bare actix-web JSON echo (the ceiling) and
# Prometheus Pushgateway; every 2xx is then checked to be stored. KOI runs
# BENCH_PAIRS (3) pairs: one project, then 1,000 projects; medians reported.
# Read: GET /index/history?limit=500 over 10,000 results.
# Pull: 1,000 sources on a 1 s schedule served locally for PULL_SECONDS (30).
# History at scale: scripts/bench-history.sh, written to bench/history.md.
# Scorer: criterion micro-benchmark, nanoseconds per indicator.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh
SECONDS_PER_RUN=${BENCH_SECONDS:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
PULL_SECONDS=${PULL_SECONDS:-30}
PAIRS=${BENCH_PAIRS:-3}
PG_BASE=${KOI_BENCH_PG_BASE:-postgres://postgres@127.0.0.1:5432}
OUT=bench/results.md

need=()
for p in wrk prometheus-pushgateway curl sqlite3 postgresql-client python3; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if ((${#need[@]})); then
  apt_install "${need[@]}"
fi
cargo build --release --quiet --bin koi --example bench_server
KOI=target/release/koi
SERVER=target/release/examples/bench_server

work=$(mktemp -d)
pids=()
# shellcheck source=scripts/bench/lib.sh
source scripts/bench/lib.sh
trap 'stop_all; rm -rf "$work"' EXIT

# wrk → "req_per_s p50_ms p99_ms completed errors"
run_wrk() { # URL SECONDS [LUA_SCRIPT]
  local script=()
  [ -n "${3:-}" ] && script=(-s "$3")
  wrk -t2 -c"$CONNECTIONS" -d"$2s" --latency "${script[@]}" "$1" >"$work/wrk.out" 2>&1
  python3 scripts/bench/wrk_summary.py "$work/wrk.out"
}

rows=()
add_row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }

# --- ceiling and Pushgateway -------------------------------------------------
"$SERVER" 127.0.0.1:18301 >"$work/echo.log" 2>&1 &
pids+=($!)
wait_up http://127.0.0.1:18301/stats
read -r e_rps e_p50 e_p99 _ e_bad < <(run_wrk http://127.0.0.1:18301/echo "$SECONDS_PER_RUN" scripts/bench/echo.lua)
add_row "actix-web JSON echo (ceiling)" "$e_rps" "$e_p50" "$e_p99" "$e_bad" "-"
stop_newest

prometheus-pushgateway --web.listen-address=127.0.0.1:18302 --persistence.file="$work/pushgateway.db" \
  --persistence.interval=1s >"$work/pushgateway.log" 2>&1 &
pids+=($!)
wait_up http://127.0.0.1:18302/-/ready
read -r g_rps g_p50 g_p99 _ g_bad < <(run_wrk http://127.0.0.1:18302 "$SECONDS_PER_RUN" scripts/bench/pushgateway.lua)
add_row "Prometheus Pushgateway $(prometheus-pushgateway --version 2>&1 | awk 'NR==1{print $3}')" "$g_rps" "$g_p50" "$g_p99" "$g_bad" "1.0×"
stop_newest

# --- KOI on SQLite and PostgreSQL --------------------------------------------
bench_koi() { # NAME DB_URL PORT COUNT_CMD...
  local name=$1 url=$2 port=$3; shift 3
  start_koi "$name" "$url" "$port"
  post "http://127.0.0.1:$port/v1/projects" "$(project_json bench)"
  project_json $(seq -f 'm%g' 0 999) | python3 -c '
import sys, urllib.request
for line in sys.stdin:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], line.encode(), {"content-type": "application/json"})).read()
' "http://127.0.0.1:$port/v1/projects"
  # One project, then the same load spread over 1,000 (each push locks its
  # own), in PAIRS alternating runs: a single pair's ratio moved by ±0.07
  # from run to run on a 2-core VM, so the medians are reported.
  local runs=() acked=0 run kind projects rps p50 p99 completed bad
  for _ in $(seq "$PAIRS"); do
    for run in one: many:1000; do # KIND:PROJECTS
      kind=${run%%:*} projects=${run#*:}
      read -r rps p50 p99 completed bad < <(PROJECTS=$projects run_wrk "http://127.0.0.1:$port" "$SECONDS_PER_RUN" scripts/bench/push.lua)
      runs+=("$kind $rps $p50 $p99 $bad")
      acked=$((acked + completed - bad))
    done
  done
  local stored
  stored=$("$@" "SELECT count(*) FROM observation_sets")
  # Every acknowledged push must be stored (wrk may stop waiting for a few
  # requests in flight when its time is up; those can be stored too).
  if ((stored < acked)); then
    echo "LOST WRITES on $name: $acked acknowledged, $stored stored" >&2; exit 1
  fi
  local o_rps o_p50 o_p99 o_bad m_rps m_p50 m_p99 m_bad share pairs
  read -r o_rps o_p50 o_p99 o_bad m_rps m_p50 m_p99 m_bad share pairs < <(printf '%s\n' "${runs[@]}" | python3 scripts/bench/push_summary.py)
  add_row "KOI on $name (durable: answered after fsync)" "$o_rps" "$o_p50" "$o_p99" "$o_bad" \
    "$(python3 -c "print(f'{$o_rps / $g_rps:.1f}×')")"
  add_row "KOI on $name, 1,000 projects ($share of one project; pairs: $pairs)" \
    "$m_rps" "$m_p50" "$m_p99" "$m_bad" "$(python3 -c "print(f'{$m_rps / $g_rps:.1f}×')")"
  bench_history "$name" "$port"
  # Its background work (rollups, retention sweeps, index upkeep over 1,000
  # projects) would otherwise run on through every later measurement.
  stop_newest
}

history_rows=()
bench_history() { # NAME PORT: 10,000 results, then limit=500 reads
  python3 - "$2" <<'PY'
import datetime, json, sys, urllib.request
port = sys.argv[1]
def ts(n):  # one point per push: each has its own event time
    return datetime.datetime.fromtimestamp(1767225600 + n, datetime.timezone.utc).isoformat()
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(), {"content-type": "application/json"})
    urllib.request.urlopen(req).read()
post("/v1/projects", {"code": "hist", "indicators": [{"key": "a", "weight": 100}]})
for batch in range(20):
    post("/v1/data", [{"project": "hist", "ts": ts(batch * 500 + i), "values": {"a": (batch * 500 + i) % 100}}
                      for i in range(500)])
PY
  local url="http://127.0.0.1:$2/v1/projects/hist/index/history?limit=500"
  curl -fsS "$url" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)["items"]) == 500'
  read -r rps p50 p99 _ bad < <(run_wrk "$url" 10)
  history_rows+=("| KOI on $1 | $rps | $p50 | $p99 | $bad |")
}

bench_koi SQLite "sqlite://$work/bench.db?mode=rwc" 18303 sqlite3 "$work/bench.db"
pg_db=koi_bench_$$
psql "$PG_BASE/test" -qc "CREATE DATABASE $pg_db"
bench_koi PostgreSQL "$PG_BASE/$pg_db" 18304 psql "$PG_BASE/$pg_db" -Atc
psql "$PG_BASE/test" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true

# --- Pull worker: 1,000 sources every second ----------------------------------
pull_stats=$(scripts/bench/pull.sh "$KOI" "$SERVER" "$work" "$PULL_SECONDS")

# --- Backfill import and a late value (SQLite) ---------------------------------
import_rows=$(scripts/bench/import.sh "$KOI" "$work")

# --- History at scale: chart reads over a year, pushes with rollups, retention ---
KOI_BIN=$KOI HISTORY_OUT=bench/history.md scripts/bench-history.sh >"$work/history.log" 2>&1 ||
  { cat "$work/history.log" >&2; exit 1; }

# --- Scorer micro-benchmark (criterion) -----------------------------------------
rm -rf target/criterion/score
cargo bench --quiet --bench scorer >"$work/criterion.log" 2>&1 || { cat "$work/criterion.log" >&2; exit 1; }
scorer_table=$(python3 scripts/bench/scorer.py target/criterion)

mkdir -p bench
{
  echo "# KOI benchmarks"
  echo
  echo "Measured by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;"
  echo "wrk -t2 -c$CONNECTIONS, ${SECONDS_PER_RUN}s per push run, load generator on the same machine."
  echo
  echo "## Push: POST /v1/data, 10 values on 10 indicators with intervals"
  echo
  echo "| target | pushes/s | p50 ms | p99 ms | errors | vs Pushgateway |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Every acknowledged KOI push was checked to be stored (pushes counted in the database)."
  echo
  echo "## Read: GET /v1/projects/{code}/index/history?limit=500 over 10,000 results (10 s)"
  echo
  echo "| target | req/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${history_rows[@]}"
  echo
  echo "## Pull: 1,000 sources on a 1 s schedule for ${PULL_SECONDS}s (KOI on SQLite)"
  echo
  echo "$pull_stats"
  echo
  echo "## Backfill and late values (KOI on SQLite, project of 10 indicators with intervals)"
  echo
  echo "| what | stored / answered | history recomputed | rate |"
  echo "|---|---|---|---|"
  echo "$import_rows"
  echo
  echo "## History at scale"
  echo
  echo "A year of one point a minute for 100 projects: chart reads, storage per point, pushes with"
  echo "rollups maintained and during a retention sweep: \`bench/history.md\` (\`scripts/bench-history.sh\`)."
  echo
  echo "## Scorer: score() per indicator (criterion, benches/scorer.rs)"
  echo
  echo "$scorer_table"
} >"$OUT"
cat "$OUT"
