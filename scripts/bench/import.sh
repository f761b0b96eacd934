#!/usr/bin/env bash
# Backfill and late-value benchmark (run by scripts/bench.sh): imports
# IMPORT_VALUES values (10 indicators per timestamp) into KOI on SQLite and
# times it until the history is recomputed, while wrk pushes to another
# project (its p99 beside one without the import); then pushes 10,000
# points in order and times one push landing before all of them, and its job.
# Usage: import.sh KOI_BINARY WORK_DIR
set -euo pipefail
KOI=$1 work=$2
VALUES=${IMPORT_VALUES:-1000000}
pids=()
# shellcheck source=scripts/bench/lib.sh
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT

start_koi import "sqlite://$work/import.db?mode=rwc" 18321
base=http://127.0.0.1:18321
post "$base/v1/projects" "$(project_json imp)"
post "$base/v1/projects" "$(project_json late)"
post "$base/v1/projects" "$(project_json bench)"
python3 - "$VALUES" "$work/import.csv" <<'PY'
import datetime, sys
values, path = int(sys.argv[1]), sys.argv[2]
start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
with open(path, "w") as f:
    f.write("ts,key,value\n")
    for n in range(values // 10):
        ts = (start + datetime.timedelta(seconds=30 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write("".join(f"{ts},k{k},{(n * 7 + k) % 100}\n" for k in range(10)))
PY
push_load() { # SECONDS: wrk pushing to project bench, "req/s p50 p99 completed errors"
  wrk -t1 -c10 -d"$1s" --latency -s "$(dirname "$0")/push.lua" "$base" >"$work/import-wrk.out" 2>&1
  python3 "$(dirname "$0")/wrk_summary.py" "$work/import-wrk.out"
}
read -r _ _ quiet_p99 _ _ < <(push_load 5)
push_load 10 >"$work/import-load" &
load=$!
sleep 1
python3 "$(dirname "$0")/import_bench.py" import "$base" "$work/import.csv" "$VALUES"
wait "$load"
read -r _ _ loaded_p99 _ bad < <(cat "$work/import-load")
echo "| pushes to another project (wrk -c10) | p99 $quiet_p99 ms alone | p99 $loaded_p99 ms during the import | $bad errors |"
python3 "$(dirname "$0")/import_bench.py" late "$base"
