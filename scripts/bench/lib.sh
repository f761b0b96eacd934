# shellcheck shell=bash
# Shared by scripts/bench.sh, scripts/bench-history.sh and scripts/bench/*.sh. Expects $work (a
# scratch folder), $KOI (the release binary) and the array pids.
: "${work:?}" "${KOI:?}"

stop_all() { # the background processes started so far
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

stop_newest() { # the newest background process: the next measurement gets the machine
  local pid=${pids[-1]}
  kill "$pid"; wait "$pid" 2>/dev/null || true
  unset 'pids[-1]'
}

wait_up() { # URL
  for _ in $(seq 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "$1 did not come up" >&2
  exit 1
}

start_koi() { # NAME DB_URL PORT [VAR=VALUE...]: koi serve, worker off unless overridden
  local name=$1 url=$2 port=$3
  shift 3
  env KOI__SERVER__ADDRESS="127.0.0.1:$port" KOI__DATABASE__URL="$url" KOI__AUTOPULL__ENABLED=false \
    KOI__LOG__LEVEL=warn "$@" "$KOI" serve >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_up "http://127.0.0.1:$port/ready"
}

post() { # URL JSON
  curl -fsS -o /dev/null -X POST "$1" -H 'content-type: application/json' -d "$2"
}

project_json() { # CODE...: 10 indicators k0..k9, each with two intervals; one JSON line per code
  python3 - "$@" <<'PY'
import json, sys
bands = [{"start": 0, "end": 50, "score": 50}, {"start": 50, "end": 100, "score": 100}]
for code in sys.argv[1:]:
    print(json.dumps({"code": code, "indicators": [{"key": f"k{i}", "weight": 10, "intervals": bands} for i in range(10)]}))
PY
}
