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
python3 - "$base" "$work/import.csv" "$VALUES" <<'PY'
import json, sys, time, urllib.request
base, path, values = sys.argv[1], sys.argv[2], int(sys.argv[3])
def call(method, url, body=None, ctype="application/json"):
    req = urllib.request.Request(url, body, {"content-type": ctype}, method=method)
    return json.load(urllib.request.urlopen(req, timeout=600))
def settled(code):
    while any(j["state"] != "done" for j in call("GET", f"{base}/v1/projects/{code}/jobs")):
        time.sleep(0.05)
started = time.monotonic()
with open(path, "rb") as f:
    report = call("POST", f"{base}/v1/projects/imp/import", f.read(), "text/csv")
stored = time.monotonic() - started
settled("imp")
total = time.monotonic() - started
assert report["observations"] == values, report
points = 0
cursor = ""
while True:
    page = call("GET", f"{base}/v1/projects/imp/index/history?limit=1000{cursor}")
    points += len(page["items"])
    if not page.get("next_cursor"):
        break
    cursor = "&cursor=" + page["next_cursor"]
assert points == values // 10, points
print(f"| import {values:,} values ({values // 10:,} timestamps) | {stored:.1f} s stored | {total:.1f} s with history | {values / total:,.0f} values/s |")
PY
wait "$load"
read -r _ _ loaded_p99 _ bad < <(cat "$work/import-load")
echo "| pushes to another project (wrk -c10) | p99 $quiet_p99 ms alone | p99 $loaded_p99 ms during the import | $bad errors |"
python3 - "$base" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
def call(method, url, body=None, ctype="application/json"):
    req = urllib.request.Request(url, body, {"content-type": ctype}, method=method)
    return json.load(urllib.request.urlopen(req, timeout=600))
def settled(code):
    while any(j["state"] != "done" for j in call("GET", f"{base}/v1/projects/{code}/jobs")):
        time.sleep(0.05)
# Late value: 10,000 points in order without k0, then a k0 value before all
# of them: every later point changes.
for batch in range(20):
    body = [{"project": "late", "ts": f"2026-01-01T{(batch * 500 + i) // 3600:02}:{(batch * 500 + i) // 60 % 60:02}:{(batch * 500 + i) % 60:02}Z",
             "values": {f"k{k}": (batch + i + k) % 100 for k in range(1, 10)}} for i in range(500)]
    call("POST", f"{base}/v1/data", json.dumps(body).encode())
started = time.monotonic()
call("POST", f"{base}/v1/data", json.dumps({"project": "late", "ts": "2025-12-31T23:00:00Z", "values": {"k0": 1}}).encode())
answered = time.monotonic() - started
settled("late")
total = time.monotonic() - started
print(f"| push before 10,000 later points | {answered * 1000:.0f} ms answered | {total * 1000:.0f} ms with history | - |")
PY
