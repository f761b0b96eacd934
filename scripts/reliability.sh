#!/usr/bin/env bash
# The reliability suite, one command on a fresh machine (installs what it
# needs, builds release, runs every part, prints PASS/FAIL per part and exits
# non-zero if any failed):
#
#   scripts/reliability.sh            # or: scripts/reliability.sh crash fuzz
#
# Parts (all by default):
#   crash        tests/api/crash.rs (kill -9 under push load) CRASH_RUNS (3) times
#   fuzz         tests/fuzz.rs for FUZZ_SECONDS (60) per target
#   schemathesis the OpenAPI document against a running koi (ST_MAX_SECONDS, 120)
#   db-down      pushes while a private PostgreSQL is stopped and restarted
#   cluster      scripts/cluster.sh: two servers and two workers under load,
#                kills, a rolling upgrade, Prometheus (CLUSTER_SECS, 60)
# Traffic stays on this machine: schemathesis and its koi run in a network
# namespace with only loopback. Logs of the last run: target/reliability/logs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh
export DEBIAN_FRONTEND=noninteractive CARGO_TERM_COLOR=never
CRASH_RUNS=${CRASH_RUNS:-3}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export ST_MAX_SECONDS=${ST_MAX_SECONDS:-120}
PG_PORT=${RELIABILITY_PG_PORT:-55432}
KOI_PORT=${RELIABILITY_KOI_PORT:-18472}
parts=("$@")
((${#parts[@]})) || parts=(crash fuzz schemathesis db-down cluster)

# --- what the suite needs ----------------------------------------------------
need=()
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v pg_isready >/dev/null || need+=(postgresql-client)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v unshare >/dev/null && command -v runuser >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
if ((${#need[@]})); then
  apt_install "${need[@]}"
fi
pg_bin=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1)")

# schemathesis in a venv kept under target/ (reused by later runs).
venv=target/reliability/venv
if ! "$venv/bin/st" --version 2>/dev/null | grep -q 'version 4\.'; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'schemathesis>=4.32,<5'
fi

cargo build --release --quiet --bin koi
cargo test --release --quiet --test api --test fuzz --no-run 2>/dev/null
KOI=$PWD/target/release/koi

logs=target/reliability/logs
rm -rf "$logs" && mkdir -p "$logs"
work=$(mktemp -d)
chmod 755 "$work"
pids=()
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -f "$work/pg/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

results=()
record() { # PART STATUS SECONDS NOTE
  local verdict=PASS
  (($2 == 0)) || verdict=FAIL
  results+=("$(printf '%-13s %s  %4ss  %s' "$1" "$verdict" "$3" "$4")")
  echo "== $1: $verdict ($3 s) $4"
}

# --- 1. crash: kill -9 under load, acknowledged values survive --------------
part_crash() {
  local tests status=0
  # Its PostgreSQL variant uses the shared test server (KOI_TEST_PG_URL).
  scripts/ci-deps.sh >/dev/null
  mapfile -t tests < <(cargo test --release --quiet --test api -- --list 2>/dev/null | sed -n 's/^\(crash::.*\): test$/\1/p')
  ((${#tests[@]})) || { echo "no crash:: tests found" >&2; return 1; }
  for run in $(seq "$CRASH_RUNS"); do
    echo "-- crash run $run/$CRASH_RUNS: ${tests[*]}"
    cargo test --release --quiet --test api -- --exact "${tests[@]}" >>"$logs/crash.log" 2>&1 || status=1
  done
  tail -3 "$logs/crash.log"
  return "$status"
}

# --- 2. fuzz: parser, validator and scorer --------------------------------
part_fuzz() {
  FUZZ_SECONDS=$FUZZ_SECONDS cargo test --release --quiet --test fuzz >"$logs/fuzz.log" 2>&1 || {
    tail -30 "$logs/fuzz.log"
    return 1
  }
  grep 'test result' "$logs/fuzz.log"
}

# --- 3. schemathesis: every answer is documented, no 5xx --------------------
part_schemathesis() {
  mkdir -p "$work/st"
  unshare --net scripts/reliability/schemathesis.sh "$KOI" "$PWD/$venv/bin/st" "$work/st" >"$logs/schemathesis.log" 2>&1
  local status=$?
  cp "$work/st/st-koi.log" "$logs/schemathesis-koi.log" 2>/dev/null || true
  sed -n '/= SUMMARY =/,$p' "$logs/schemathesis.log" | grep -E 'Tested|passed|failures|Failures|❌' || tail -20 "$logs/schemathesis.log"
  return "$status"
}

# --- 4. database down: 503 + Retry-After, no false 2xx, recovery ------------
part_db_down() {
  local pg="$work/pg" ctl=("runuser" "-u" "postgres" "--" "$pg_bin/pg_ctl")
  install -d -o postgres "$pg" "$work/pgrun"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg" -A trust -U postgres >"$logs/pg-initdb.log" || return 1
  local start
  start="$(printf '%q ' "${ctl[@]}") -D $pg -w -l $work/pgrun/pg.log -o '-p $PG_PORT -k $work/pgrun -c listen_addresses=127.0.0.1' start"
  local stop
  stop="$(printf '%q ' "${ctl[@]}") -D $pg -w -m immediate stop"
  eval "$start" >/dev/null || { cat "$work/pgrun/pg.log" >&2; return 1; }
  KOI__SERVER__ADDRESS="127.0.0.1:$KOI_PORT" KOI__DATABASE__URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres" \
    KOI__AUTOPULL__ENABLED=false KOI__AUTH__ENABLED=false KOI__LOG__LEVEL=warn "$KOI" serve >"$logs/db-down-koi.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$KOI_PORT/ready" 2>/dev/null && break; sleep 0.1; done
  python3 scripts/reliability/db_down.py "http://127.0.0.1:$KOI_PORT" "$start" "$stop" 2>&1 | tee "$logs/db-down.log"
  local status=${PIPESTATUS[0]}
  kill "${pids[-1]}" 2>/dev/null || true
  wait "${pids[-1]}" 2>/dev/null || true
  eval "$stop" >/dev/null 2>&1 || true
  cp "$work/pgrun/pg.log" "$logs/db-down-pg.log" 2>/dev/null || true
  return "$status"
}

# --- 5. cluster: scripts/cluster.sh -------------------------------------------
part_cluster() {
  scripts/cluster.sh >"$logs/cluster.log" 2>&1
  local status=$?
  grep -E 'PASS|FAIL|acknowledged|pulls per source|refused|migrations' "$logs/cluster.log"
  return "$status"
}

declare -A notes=([crash]="$CRASH_RUNS runs" [fuzz]="${FUZZ_SECONDS} s per target"
  [schemathesis]="see logs/schemathesis.log" [db-down]="see logs/db-down.log" [cluster]="${CLUSTER_SECS:-60} s, see logs/cluster.log")
failed=0
for part in "${parts[@]}"; do
  echo "== $part"
  started=$SECONDS
  status=0
  case $part in
    crash) part_crash || status=$? ;;
    fuzz) part_fuzz || status=$? ;;
    schemathesis) part_schemathesis || status=$? ;;
    db-down) part_db_down || status=$? ;;
    cluster) part_cluster || status=$? ;;
    *) echo "unknown part $part (crash, fuzz, schemathesis, db-down, cluster)" >&2; status=2 ;;
  esac
  record "$part" "$status" "$((SECONDS - started))" "${notes[$part]:-}"
  ((status == 0)) || failed=1
done

echo
echo "Reliability summary (logs in $logs):"
printf '  %s\n' "${results[@]}"
exit "$failed"
