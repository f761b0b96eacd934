#!/usr/bin/env bash
# Pull benchmark (run by scripts/bench.sh): 1,000 sources on a cron
# schedule firing every second, served by the local bench server; prints
# how many pulls each source got and how late after the second they came.
# Usage: pull.sh KOI_BINARY BENCH_SERVER WORK_DIR SECONDS
set -euo pipefail
KOI=$1 SERVER=$2 work=$3 seconds=$4
SOURCES=${PULL_SOURCES:-1000}
pids=()
# shellcheck source=scripts/bench/lib.sh
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT

"$SERVER" 127.0.0.1:18311 >"$work/pull-server.log" 2>&1 &
pids+=($!)
wait_up http://127.0.0.1:18311/stats
start_koi pull "sqlite://$work/pull.db?mode=rwc" 18312 KOI__AUTOPULL__ENABLED=true KOI__AUTOPULL__TICK_MS=100 \
  KOI__AUTOPULL__CONCURRENCY=128 KOI__AUTOPULL__ALLOW_LOOPBACK=true
post http://127.0.0.1:18312/v1/projects "$(project_json pull)"
python3 - "$SOURCES" <<'PY'
import json, sys, urllib.request
for n in range(int(sys.argv[1])):
    body = {"project": "pull", "name": f"s{n}", "url": f"http://127.0.0.1:18311/source/{n}",
            "schedule": "* * * * * *", "mappings": [{"indicator": f"k{n % 10}", "path": "value"}]}
    req = urllib.request.Request("http://127.0.0.1:18312/v1/remote", json.dumps(body).encode(), {"content-type": "application/json"})
    urllib.request.urlopen(req).read()
PY
# Count whole seconds from the first one after every source exists.
sleep 2
curl -fsS http://127.0.0.1:18311/stats >"$work/pull-before.json"
sleep "$seconds"
curl -fsS http://127.0.0.1:18311/stats >"$work/pull-after.json"
python3 - "$work/pull-before.json" "$work/pull-after.json" "$seconds" "$SOURCES" <<'PY'
import json, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
seconds, sources = int(sys.argv[3]), int(sys.argv[4])
pulls = after["pulls"] - before["pulls"]
print(f"| sources | seconds | pulls | expected | pulls/s | per source (whole run) min / max | lateness after the second p50 / p99 / max |")
print("|---|---|---|---|---|---|---|")
print(f"| {after['sources']} | {seconds} | {pulls} | {seconds * sources} | {pulls / seconds:.0f} | "
      f"{after['min_per_source']} / {after['max_per_source']} | "
      f"{after['lateness_ms_p50']} / {after['lateness_ms_p99']} / {after['lateness_ms_max']} ms |")
PY
