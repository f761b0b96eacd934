#!/usr/bin/env bash
# Dashboard budgets, measured in the Chromium the browser tests use (not a
# test; prints figures):
#   - overview of 1,000 projects: time from navigation to usable cards
#   - a project page with a year of history (a point every 10 min): time
#     from navigation to the drawn charts
#   - all embedded assets, gzipped
# Times are the page's own performance marks (koi:overview-ready,
# koi:project-ready), median of RUNS (5) loads.
#
#   scripts/bench-ui.sh            # KOI_BIN=path/to/koi to pick a build
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
target=${CARGO_TARGET_DIR:-target}
KOI_BIN=${KOI_BIN:-}
if [[ -z "$KOI_BIN" ]]; then
  if [[ -x "$target/release/koi" ]]; then KOI_BIN=$target/release/koi; else
    cargo build -q --bin koi
    KOI_BIN=$target/debug/koi
  fi
fi
for tool in /usr/bin/chromium /usr/bin/chromedriver curl jq python3 gzip; do
  [[ -x "$tool" ]] || command -v "$tool" >/dev/null || { echo "bench-ui: $tool missing (scripts/deploy-deps.sh)" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

koi_port=$(free_port)
base="http://127.0.0.1:$koi_port"
KOI__SERVER__ADDRESS=127.0.0.1:$koi_port KOI__DATABASE__URL="sqlite://$work/koi.db?mode=rwc" \
  KOI__AUTH__ENABLED=false KOI__AUTOPULL__ENABLED=false KOI__LOG__LEVEL=warn "$KOI_BIN" serve 2>"$work/koi.log" &
pids+=($!)
until curl -sf "$base/health" >/dev/null; do sleep 0.2; done

post() { curl -sf -o /dev/null -H 'content-type: application/json' --data-binary @- "$base$1"; }

echo "seeding 1,000 projects with 24 hourly points each..."
project() {
  printf '{"code":"%s","title":"%s","indicators":[{"key":"cpu","weight":60,"intervals":[{"start":0,"end":100,"score":100}]},{"key":"latency","weight":40,"intervals":[{"start":500,"end":0,"score":100}]}]}' "$1" "$2"
}
for i in $(seq -w 1 1000); do project "p$i" "Site $i" | post /v1/projects; done
python3 - "$work" <<'PY'
import json, math, sys, time
now = int(time.time())
def chunks(pushes, name):
    for n in range(0, len(pushes), 1000):
        with open(f"{sys.argv[1]}/{name}-{n // 1000:04d}.json", "w") as f:
            json.dump(pushes[n:n + 1000], f)
def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
# Oldest first, so each push extends the history rather than recomputing it.
cards = [{"project": f"p{i:04d}", "ts": iso(now - h * 3600),
          "values": {"cpu": 50 + 40 * math.sin(i + h / 3), "latency": 250 + 200 * math.cos(i + h / 5)}}
         for h in range(23, -1, -1) for i in range(1, 1001)]
chunks(cards, "cards")
year = [{"project": "year", "ts": iso(t), "values": {"cpu": 50 + 40 * math.sin(t / 86400), "latency": 250 + 200 * math.cos(t / 604800)}}
        for t in range(now - 365 * 86400, now, 600)]
chunks(year, "year")
PY
for f in "$work"/cards-*.json; do post /v1/data <"$f"; done
echo "seeding a project with a year of history (52,560 points)..."
project year Year | post /v1/projects
for f in "$work"/year-*.json; do post /v1/data <"$f"; done

driver_port=$(free_port)
/usr/bin/chromedriver --port="$driver_port" >/dev/null 2>&1 &
pids+=($!)
wd="http://127.0.0.1:$driver_port"
until curl -sf "$wd/status" | jq -e '.value.ready' >/dev/null 2>&1; do sleep 0.2; done
caps=$(jq -n --arg dir "$work/profile" '{capabilities: {alwaysMatch: {browserName: "chrome", "goog:chromeOptions": {
  binary: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
  "--window-size=1280,900", "--user-data-dir=\($dir)"]}}}}')
session=$(curl -sf -H 'content-type: application/json' -d "$caps" "$wd/session" | jq -r .value.sessionId)
wdcall() { curl -sf -H 'content-type: application/json' -d "$2" "$wd/session/$session/$1"; }

# Milliseconds from navigation to the page's mark `name`.
measure() {
  local url=$1 name=$2
  wdcall url "$(jq -n --arg u "about:blank" '{url: $u}')" >/dev/null
  wdcall url "$(jq -n --arg u "$url" '{url: $u}')" >/dev/null
  local script="const m = performance.getEntriesByName('$name'); return m.length ? Math.round(m[0].startTime) : null;"
  for _ in $(seq 1 600); do
    local ms
    ms=$(wdcall execute/sync "$(jq -n --arg s "$script" '{script: $s, args: []}')" | jq -r .value)
    if [[ "$ms" != null ]]; then echo "$ms"; return; fi
    sleep 0.05
  done
  echo "bench-ui: $name never came on $url" >&2
  exit 1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

overview=$(for _ in $(seq "$RUNS"); do measure "$base/#/" koi:overview-ready; done | median)
cards=$(wdcall execute/sync '{"script": "return document.querySelectorAll(\".card\").length", "args": []}' | jq .value)
year=$(for _ in $(seq "$RUNS"); do measure "$base/#/p/year/1y" koi:project-ready; done | median)
curl -sf -X DELETE "$wd/session/$session" >/dev/null || true

gzipped=0
while IFS= read -r name; do
  size=$(gzip -9c "src/ui/assets/$name" | wc -c)
  gzipped=$((gzipped + size))
done < <(grep -oE '^    "[^"]+",$' src/ui/assets.rs | tr -d ' ",')

echo
echo "overview, $cards projects: ${overview} ms (budget 1500)"
echo "project page, a year of history (1y preset): ${year} ms (budget 1000)"
echo "assets gzipped: $((gzipped / 1024)) KB (budget 300)"
