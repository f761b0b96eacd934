#!/usr/bin/env bash
# History at scale (rollups and retention), on SQLite and PostgreSQL;
# called by scripts/bench.sh, or alone after `cargo build --release`:
#
#   scripts/bench-history.sh            # writes bench/history.md
#
# 1. Loads HISTORY_PROJECTS (100) projects × one point a minute for
#    HISTORY_DAYS (365) days up to today straight into the tables (raw
#    points; minute buckets of the last 90 days; hour and day buckets),
#    then reads, at random projects, for HISTORY_SECONDS (10) each with
#    wrk -cHISTORY_READERS (1): the whole range at step=1h and step=1d, and raw pages of
#    500 from random times. Bytes per point of each table, from the
#    database's own accounting. On HISTORY_READ_BACKENDS ("SQLite
#    PostgreSQL").
# 2. Push rate (scripts/bench/push.lua, 50 connections, BENCH_SECONDS
#    (75) per run: long enough for the rollup builder's first pass at a
#    minute) and the server's CPU per push, of this build and, if
#    KOI_BASE_BIN names one, of a build without rollups, alternated
#    (base, this, base, this: PUSH_ROUNDS of 2) on empty databases, on
#    HISTORY_PUSH_BACKENDS ("SQLite PostgreSQL").
# 3. Pushes at 5,000/s (push_paced.lua, 100 connections) for
#    HISTORY_SECONDS on SQLite's loaded year: with retention off (the
#    machine's own tail), then while the sweep (raw = 30d) deletes it.
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECTS=${HISTORY_PROJECTS:-100}
DAYS=${HISTORY_DAYS:-365}
SECS=${HISTORY_SECONDS:-10}
PUSH_SECS=${BENCH_SECONDS:-75}
ROUNDS=${PUSH_ROUNDS:-2}
PUSH_BACKENDS=${HISTORY_PUSH_BACKENDS:-SQLite PostgreSQL}
# Backends of section 1 (the sweep of section 3 needs SQLite's load).
READ_BACKENDS=${HISTORY_READ_BACKENDS:-SQLite PostgreSQL}
# Concurrent readers: 1 is the latency one dashboard sees.
READERS=${HISTORY_READERS:-1}
# Which sections to run.
PARTS=${HISTORY_PARTS:-reads pushes sweep}
PG_BASE=${KOI_BENCH_PG_BASE:-postgres://postgres@127.0.0.1:5432}
KOI=${KOI_BIN:-target/release/koi}
BASE=${KOI_BASE_BIN:-}
OUT=${HISTORY_OUT:-bench/history.md}
[ -x "$KOI" ] || cargo build --release --quiet --bin koi

work=$(mktemp -d)
pids=()
# shellcheck source=scripts/bench/lib.sh
source scripts/bench/lib.sh
pg_db=koi_history_$$
cleanup() {
  stop_all
  psql "$PG_BASE/test" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  psql "$PG_BASE/test" -qc "DROP DATABASE IF EXISTS ${pg_db}_push WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# Keep everything the benchmark loads; section 3 turns retention on.
FOREVER=(KOI__RETENTION__RAW=0 KOI__RETENTION__MINUTE=0 KOI__RETENTION__HOUR=0)
END=$(( $(date -u +%s) / 86400 * 86400 * 1000000 ))
MINUTES=$((DAYS * 1440))

run_wrk() { # URL SECONDS CONNECTIONS LUA → "req_per_s p50_ms p99_ms completed errors"
  wrk -t"$(( $3 < 2 ? $3 : 2 ))" -c"$3" -d"$2s" --latency -s "$4" "$1" >"$work/wrk.out" 2>&1
  python3 scripts/bench/wrk_summary.py "$work/wrk.out"
}

load() { # NAME URL PORT SQL_CLIENT...: projects via the API, points via SQL
  local name=$1 url=$2 port=$3; shift 3
  start_koi "$name" "$url" "$port" "${FOREVER[@]}"
  for n in $(seq 0 $((PROJECTS - 1))); do
    post "http://127.0.0.1:$port/v1/projects" "{\"code\":\"h$n\",\"indicators\":[{\"key\":\"a\",\"weight\":100}]}"
  done
  post "http://127.0.0.1:$port/v1/projects" "$(project_json bench)"
  stop_newest
  local started=$SECONDS
  sed -e "s/@END@/$END/g" -e "s/@START@/$((END - MINUTES * 60000000))/g" -e "s/@MINUTES@/$MINUTES/g" -e "s/@FLOAT@/$FLOAT/g" -e "s/@SERIES@/$SERIES/g" -e "s/@PROJECTS@/$PROJECTS/g" \
    scripts/bench/history_load.sql | "$@" >/dev/null
  if [ "$1" = sqlite3 ]; then "$@" <scripts/bench/history_index.sql; fi
  echo "loaded $name in $((SECONDS - started)) s" >&2
}

reads() { # NAME PORT
  local base="http://127.0.0.1:$2" range
  range="from=$(date -u -d "@$(( END / 1000000 - DAYS * 86400 ))" +%FT%TZ)&to=$(date -u -d "@$(( END / 1000000 ))" +%FT%TZ)"
  curl -fsS "$base/v1/projects/h0/index/history?step=1h&limit=10000&$range" |
    python3 -c "import json,sys; n=len(json.load(sys.stdin)['items']); assert n == $DAYS * 24, n"
  for what in "step=1h, whole range ($((DAYS * 24)) buckets)|/v1/projects/h%d/index/history?step=1h&limit=10000&$range" \
              "step=1d, whole range ($DAYS buckets)|/v1/projects/h%d/index/history?step=1d&limit=1000&$range" \
              "raw page of 500 from a random time|/v1/projects/h%d/index/history?limit=500&from=%s"; do
    local label=${what%%|*} path=${what#*|}
    read -r rps p50 p99 _ bad < <(PATH_TEMPLATE=$path PROJECTS=$PROJECTS RAW_FROM=$((END - MINUTES * 60000000)) \
      RAW_SPAN=$((MINUTES * 60000000 - 86400000000)) run_wrk "$base" "$SECS" "$READERS" scripts/bench/history.lua)
    read_rows+=("| $1 | $label | $rps | $p50 | $p99 | $bad |")
  done
}

sizes_sqlite() { # DB_FILE: pages of each table and its indexes (dbstat)
  sqlite3 "$1" "SELECT t, (SELECT SUM(pgsize) FROM dbstat WHERE name IN
        (SELECT name FROM sqlite_master WHERE tbl_name IN ('results_data', 'results_indexed'))),
      (SELECT COUNT(*) FROM results_data) FROM (SELECT 'results' AS t);
    SELECT t, (SELECT SUM(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = t)),
      (SELECT COUNT(*) FROM rollups) FROM (SELECT 'rollups' AS t);" |
    while IFS='|' read -r table bytes rows; do
      printf '%s\n' "| SQLite | $table | $rows | $(python3 -c "print(f'{$bytes / $rows:.0f}')") |"
    done
}

sizes_pg() { # URL
  psql "$1" -Atc "SELECT 'results', pg_total_relation_size('results_data'), (SELECT COUNT(*) FROM results_data);
    SELECT 'rollups', pg_total_relation_size('rollups'), (SELECT COUNT(*) FROM rollups);" |
    while IFS='|' read -r table bytes rows; do
      printf '%s\n' "| PostgreSQL | $table | $rows | $(python3 -c "print(f'{$bytes / $rows:.0f}')") |"
    done
}


cpu_ticks() { # PID → user + system time so far, in clock ticks
  awk '{print $14 + $15}' "/proc/$1/stat"
}

push_run() { # LABEL PORT [VAR=VALUE...]: one wrk run, with the server's CPU per push
  local label=$1 port=$2 pid=${pids[-1]} before rps p50 p99 completed bad
  shift 2
  before=$(cpu_ticks "$pid")
  read -r rps p50 p99 completed bad < <(
    for setting in "$@"; do export "${setting?}"; done
    run_wrk "http://127.0.0.1:$port" "$PUSH_SECS" 50 scripts/bench/push.lua
  )
  local us
  us=$(python3 -c "print(f'{($(cpu_ticks "$pid") - $before) * 1e6 / $(getconf CLK_TCK) / max($completed, 1):.0f}')")
  push_rows+=("| $label | $rps | $p50 | $p99 | $bad | $us |")
  echo "${push_rows[-1]}" >&2 # as it comes: the runs take a while
}

pushes() { # NAME BINARY DB_URL PORT
  KOI=$2 start_koi "push-$1" "$3" "$4" "${FOREVER[@]}"
  post "http://127.0.0.1:$4/v1/projects" "$(project_json bench)"
  push_run "$1, one project" "$4"
  # Spread over 1,000 projects: every push locks its own.
  project_json $(seq -f 'm%g' 0 999) | while read -r line; do post "http://127.0.0.1:$4/v1/projects" "$line"; done
  push_run "$1, 1,000 projects" "$4" PROJECTS=1000
  stop_newest
}

wants() { [[ " $PARTS " == *" $1 "* ]]; }
read_rows=() push_rows=() sqlite_sizes='' pg_sizes='' s_rps=- s_p50=- s_p99=- s_bad=- k_rps=- k_p50=- k_p99=- k_bad=- before=0 after=0

# --- 1. reads over a year, sizes ------------------------------------------------
FLOAT=REAL SERIES="(WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < $MINUTES * $PROJECTS - 1) SELECT i FROM m) AS m"
reads_on() { [[ " $READ_BACKENDS " == *" $1 "* ]]; }
if (wants reads && reads_on SQLite) || wants sweep; then
load SQLite "sqlite://$work/history.db?mode=rwc" 18311 sqlite3 "$work/history.db"
fi
if wants reads && reads_on SQLite; then
start_koi SQLite "sqlite://$work/history.db?mode=rwc" 18311 "${FOREVER[@]}"
reads SQLite 18311
stop_newest
sqlite_sizes=$(sizes_sqlite "$work/history.db")
fi
if wants reads && reads_on PostgreSQL; then
psql "$PG_BASE/test" -qc "CREATE DATABASE $pg_db"
FLOAT=float8 SERIES="generate_series(0::bigint, $MINUTES * $PROJECTS - 1) AS m(i)"
load PostgreSQL "$PG_BASE/$pg_db" 18312 psql "$PG_BASE/$pg_db" -q -v ON_ERROR_STOP=1
psql "$PG_BASE/$pg_db" -qc "VACUUM ANALYZE"
start_koi PostgreSQL "$PG_BASE/$pg_db" 18312 "${FOREVER[@]}"
reads PostgreSQL 18312
stop_newest
pg_sizes=$(sizes_pg "$PG_BASE/$pg_db")
fi

# --- 2. push rate with rollups maintained (and without, if given) --------------
# Alternated, so that both builds see the same machine (it is shared).
wants pushes && for round in $(seq "$ROUNDS"); do
  for build in ${BASE:+"before rollups|$BASE"} "with rollups|$KOI"; do
    label=${build%%|*} bin=${build#*|}
    if [[ " $PUSH_BACKENDS " == *" SQLite "* ]]; then
      pushes "SQLite, $label, round $round" "$bin" "sqlite://$work/push-$round-${label// /-}.db?mode=rwc" 18313
    fi
    if [[ " $PUSH_BACKENDS " == *" PostgreSQL "* ]]; then
      psql "$PG_BASE/test" -qc "DROP DATABASE IF EXISTS ${pg_db}_push WITH (FORCE)" -qc "CREATE DATABASE ${pg_db}_push"
      pushes "PostgreSQL, $label, round $round" "$bin" "$PG_BASE/${pg_db}_push" 18314
    fi
  done
done

# --- 3. pushes at 5,000/s during a retention sweep (SQLite) ------------------
if wants sweep; then
loaded_points="SELECT COUNT(*) FROM results WHERE project_id IN (SELECT id FROM projects WHERE code LIKE 'h%')"
before=$(sqlite3 "$work/history.db" "$loaded_points")
paced() { # NAME VAR=VALUE...: pushes at 5,000/s to a koi on the loaded year → $work/paced
  local name=$1; shift
  start_koi "$name" "sqlite://$work/history.db?mode=rwc" 18315 "$@"
  RATE=5000 run_wrk http://127.0.0.1:18315 "$SECS" 100 scripts/bench/push_paced.lua >"$work/paced"
  stop_newest
}
# The same pushes without a sweep first: the machine's own tail, to
# compare with.
paced kept "${FOREVER[@]}"
read -r k_rps k_p50 k_p99 _ k_bad <"$work/paced"
paced sweep KOI__RETENTION__RAW=30d KOI__RETENTION__SWEEP_MS=1000
read -r s_rps s_p50 s_p99 _ s_bad <"$work/paced"
after=$(sqlite3 "$work/history.db" "$loaded_points")
fi

{
  echo "# History at scale"
  echo
  echo "Measured by \`scripts/bench-history.sh\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end;"
  echo "$PROJECTS projects × one point a minute for $DAYS days ($((PROJECTS * MINUTES)) raw points), loaded into the tables."
  echo
  echo "## Chart and page reads (wrk -c$READERS, ${SECS}s each, random project)"
  echo
  echo "| backend | query | req/s | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${read_rows[@]}"
  echo
  echo "## Storage per point"
  echo
  echo "| backend | table | rows | bytes per row (table and indexes) |"
  echo "|---|---|---|---|"
  echo "$sqlite_sizes"
  echo "$pg_sizes"
  echo
  echo "## Push: POST /v1/data, 10 values (wrk -c50, ${PUSH_SECS}s, empty database)"
  echo
  echo "| build | pushes/s | p50 ms | p99 ms | errors | koi CPU µs per push |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${push_rows[@]}"
  echo
  echo "## Pushes during a retention sweep (SQLite, raw = 30d over the loaded year, ${SECS}s)"
  echo
  echo "| retention | pushes/s | p50 ms | p99 ms | errors | raw points deleted meanwhile |"
  echo "|---|---|---|---|---|---|"
  echo "| kept forever (no sweep) | $k_rps | $k_p50 | $k_p99 | $k_bad | 0 |"
  echo "| raw = 30d (sweeping) | $s_rps | $s_p50 | $s_p99 | $s_bad | $((before - after)) |"
} >"$OUT"
cat "$OUT"
