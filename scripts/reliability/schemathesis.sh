#!/usr/bin/env bash
# Schemathesis against a running `koi serve` (SQLite in a temp dir, autopull
# off, open on loopback). Run by scripts/reliability.sh inside its own
# network namespace (`unshare --net`), where only loopback exists: anything
# KOI might resolve or fetch for a generated URL cannot leave the machine.
#
#   scripts/reliability/schemathesis.sh KOI_BINARY ST_BINARY WORK_DIR
#
# Checks every response: no 5xx, status code documented, content type and
# body as documented. Operations that make KOI fetch a URL are excluded.
set -euo pipefail
koi=$1 st=$2 work=$3
port=${ST_PORT:-18471}
base="http://127.0.0.1:$port"

# In a fresh network namespace loopback starts down.
if ! ip -o link show lo | grep -q 'UP'; then ip link set lo up; fi

KOI__SERVER__ADDRESS="127.0.0.1:$port" KOI__DATABASE__URL="sqlite://$work/st.db?mode=rwc" \
  KOI__AUTOPULL__ENABLED=false KOI__AUTH__ENABLED=false KOI__LOG__LEVEL=warn "$koi" serve >"$work/st-koi.log" 2>&1 &
koi_pid=$!
trap 'kill "$koi_pid" 2>/dev/null || true; wait "$koi_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null "$base/ready" 2>/dev/null && break; sleep 0.1; done
curl -fsS -o /dev/null "$base/ready"

# A project with a value, so operations on a known code get past 404s.
json='content-type: application/json'
curl -fsS -o /dev/null -X POST "$base/v1/projects" -H "$json" \
  -d '{"code":"air","title":"Air","indicators":[{"key":"pm25","weight":60,"intervals":[{"start":0,"end":50,"score":100}]},{"key":"co2","weight":40}]}'
curl -fsS -o /dev/null -X POST "$base/v1/data" -H "$json" -d '{"project":"air","values":{"pm25":12.5,"co2":"415"}}'

# Known values for path and query parameters (the rest is generated).
cat >"$work/schemathesis.toml" <<'EOF'
[parameters]
code = "air"
key = "pm25"
itemcode = "air"
EOF

status=0
# From the scratch folder: schemathesis keeps a cache (.schemathesis/) in its
# working directory.
cd "$work"
"$st" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-name 'POST /v1/remote/test' --exclude-name 'POST /v1/remote/{id}/pull' \
  --exclude-name 'POST /v1/datasetup/test' \
  --max-examples "${ST_MAX_EXAMPLES:-50}" --max-time "${ST_MAX_SECONDS:-150}" --request-timeout 10 \
  --seed "${ST_SEED:-20261123}" --generation-database none --no-color --suppress-health-check all \
  --report junit --report-dir "$work/schemathesis-report" || status=$?

# A panic or an unexpected error is a bug even if its answer looked fine.
if grep -qE 'panicked|request failed' "$work/st-koi.log"; then
  echo "koi logged panics or unexpected errors during the run:" >&2
  grep -m 20 -E 'panicked|request failed' "$work/st-koi.log" >&2
  status=1
fi
exit "$status"
