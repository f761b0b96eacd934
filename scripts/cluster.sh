#!/usr/bin/env bash
# KOI as a cluster, one command on a fresh machine (as root: installs what it
# needs, builds release):
#
#   scripts/cluster.sh              # CLUSTER_SECS=60 by default
#
# A private PostgreSQL; two `koi serve` behind real nginx (one upstream with
# both) and two `koi autopull`, all four started at the same moment on the
# empty database; 200 sources on a 1 s schedule served by the load script;
# pushes through nginx and straight to server A for CLUSTER_SECS (8 pushers at
# PUSH_RATE, 75 a second each). Midway
# server B and worker 1 are killed with -9 and restarted; later the README's
# rolling upgrade runs (koi migrate, then each server in turn). A real
# Prometheus scrapes both servers. scripts/cluster/load.py does the load and
# prints each check; this script exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh
export DEBIAN_FRONTEND=noninteractive CARGO_TERM_COLOR=never
SECS=${CLUSTER_SECS:-60}
LEASE=5

need=()
for tool in curl python3 psql nginx prometheus; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$tool")
done
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v runuser >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
  pkgs=("${need[@]/psql/postgresql-client}")
  apt_install "${pkgs[@]}"
fi
pg_bin=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1)")
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --quiet --bin koi
KOI=$PWD/target/release/koi

work=$(mktemp -d)
chmod 755 "$work"
logs=target/cluster/logs
rm -rf "$logs" && mkdir -p "$logs"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=$(free_port) A_PORT=$(free_port) B_PORT=$(free_port) NGINX_PORT=$(free_port)
SOURCES_PORT=$(free_port) PROM_PORT=$(free_port)
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/koi"

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  for f in "$work"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  "$nginx_bin" -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null || true
  [ -f "$work/pg/postmaster.pid" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1
  cp "$work"/*.log "$logs/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# --- PostgreSQL ---------------------------------------------------------------
install -d -o postgres "$work/pg" "$work/pgrun"
install -o postgres -m 644 /dev/null "$work/postgres.log"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust -U postgres >"$work/initdb.log"
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -w -l "$work/postgres.log" \
  -o "-p $PG_PORT -k $work/pgrun -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
psql "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -qc 'CREATE DATABASE koi'

# --- KOI: four processes at once on the empty database ----------------------
start() { # NAME serve|autopull [PORT]
  local name=$1 command=$2 port=${3:-0}
  env KOI__DATABASE__URL="$PG_URL" KOI__SERVER__ADDRESS="127.0.0.1:$port" KOI__AUTOPULL__ENABLED=false \
    KOI__AUTOPULL__ALLOW_LOOPBACK=true KOI__AUTOPULL__LEASE_SECS=$LEASE KOI__LOG__LEVEL=warn \
    "$KOI" "$command" >>"$work/$name.log" 2>&1 &
  echo $! >"$work/$name.pid"
}
wait_ready() { # PORT
  for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$1/ready" 2>/dev/null && return 0; sleep 0.1; done
  echo "server on $1 did not become ready" >&2
  return 1
}
start a serve "$A_PORT"
start b serve "$B_PORT"
start w1 autopull
start w2 autopull
wait_ready "$A_PORT"
wait_ready "$B_PORT"
sleep 1
for w in w1 w2; do kill -0 "$(cat "$work/$w.pid")" || { echo "worker $w did not start" >&2; cat "$work/$w.log"; exit 1; }; done
applied=$(psql "$PG_URL" -Atc 'SELECT count(*) FROM seaql_migrations')
known=$(grep -c 'Box::new(m' migration/src/lib.rs)
echo "  four processes up at once; migrations applied: $applied of $known (once each: primary key)"
[ "$applied" = "$known" ] || { echo "  FAIL migrations" >&2; exit 1; }

# --- nginx in front of both servers -------------------------------------------
site=$(sed -e "s/listen 80;/listen 127.0.0.1:$NGINX_PORT;/" \
  -e "s/server 127.0.0.1:8199 \(.*\);/server 127.0.0.1:$A_PORT \1; server 127.0.0.1:$B_PORT \1;/" \
  -e "s#/etc/nginx/koi-ui-key\*.conf#$work/no-ui-key*.conf#" nginx/koi.conf)
grep -q "server 127.0.0.1:$B_PORT" <<<"$site" || { echo "nginx/koi.conf changed: update scripts/cluster.sh" >&2; exit 1; }
printf '%s\n' "$site" >"$work/koi-site.conf"
cat >"$work/nginx.conf" <<EOF
daemon on; user root root; worker_processes 2; pid $work/nginx.pid; error_log $work/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  include $work/koi-site.conf; }
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work" -e "$work/nginx-error.log"

# --- Prometheus scraping both servers ---------------------------------------------
cat >"$work/prometheus.yml" <<EOF
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: koi
    static_configs: [ { targets: ["127.0.0.1:$A_PORT", "127.0.0.1:$B_PORT"] } ]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prom" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$work/prometheus.log" 2>&1 &
echo $! >"$work/prometheus.pid"

# --- the run ------------------------------------------------------------------
# shellcheck disable=SC2317 # run by load.py, through bash -c
roll() { # the README's rolling upgrade: migrate first, then one server at a time
  "$KOI" migrate >>"$work/migrate.log" 2>&1
  for s in a b; do
    local port=$A_PORT
    [ "$s" = b ] && port=$B_PORT
    kill -TERM "$(cat "$work/$s.pid")"
    while kill -0 "$(cat "$work/$s.pid")" 2>/dev/null; do sleep 0.1; done
    start "$s" serve "$port"
    wait_ready "$port"
  done
}
export -f roll start wait_ready
export work KOI PG_URL LEASE A_PORT B_PORT
export KOI__DATABASE__URL="$PG_URL"
status=0
NGINX="http://127.0.0.1:$NGINX_PORT" SERVER_A="http://127.0.0.1:$A_PORT" SERVER_B="http://127.0.0.1:$B_PORT" \
  SOURCES_PORT=$SOURCES_PORT PG_URL=$PG_URL PROMETHEUS="http://127.0.0.1:$PROM_PORT" \
  SECONDS_TOTAL=$SECS LEASE_SECS=$LEASE \
  KILL_CMD="kill -9 \$(cat $work/b.pid) \$(cat $work/w1.pid)" \
  RESTART_CMD="start b serve $B_PORT; start w1 autopull; wait_ready $B_PORT" \
  ROLL_CMD="roll" \
  python3 scripts/cluster/load.py 2>&1 | tee "$logs/cluster.log" || status=$?
exit "$status"
