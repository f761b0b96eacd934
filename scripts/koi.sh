#!/usr/bin/env bash
# Runs `koi serve` in the background without a process supervisor.
#
#   scripts/koi.sh start|stop|restart|status|tail
#
# Environment (defaults in brackets):
#   KOI_HOME           install root; when set, the defaults below live in it [.]
#   KOI_BIN            binary [$KOI_HOME/bin/koi, else ./target/release/koi]
#   KOI_CONFIG         configuration file passed as --config [none]
#   KOI_PID_FILE       [$KOI_HOME/run/koi.pid]
#   KOI_LOG_FILE       stdout and stderr of koi, appended [$KOI_HOME/log/koi.log]
#   KOI_ADDRESS        host:port probed for GET /health
#                      [KOI__SERVER__ADDRESS, else [server] address in
#                      KOI_CONFIG, else 127.0.0.1:8199]
#   KOI_START_TIMEOUT  seconds start waits for /health [30]
#   KOI_STOP_TIMEOUT   seconds stop waits after TERM before KILL [40]
#
# Exit codes follow LSB init scripts: start/stop/restart 0 on success
# (including "already running" / "not running"), 1 on failure; status 0
# running, 1 dead with a pid file left behind, 3 not running; 2 bad usage.
set -euo pipefail

home="${KOI_HOME:-.}"
if [[ -n "${KOI_HOME:-}" ]]; then default_bin="$KOI_HOME/bin/koi"; else default_bin=./target/release/koi; fi
bin="${KOI_BIN:-$default_bin}"
config="${KOI_CONFIG:-}"
pid_file="${KOI_PID_FILE:-$home/run/koi.pid}"
log_file="${KOI_LOG_FILE:-$home/log/koi.log}"
start_timeout="${KOI_START_TIMEOUT:-30}"
stop_timeout="${KOI_STOP_TIMEOUT:-40}"

usage() {
  echo "usage: $0 start|stop|restart|status|tail" >&2
  exit 2
}

# The address koi itself will use: the env override beats the config file.
probe_address() {
  local address="${KOI_ADDRESS:-${KOI__SERVER__ADDRESS:-}}"
  if [[ -z "$address" && -n "$config" && -r "$config" ]]; then
    address=$(awk -F'"' '/^\[/ { in_server = ($0 ~ /^\[server\]/) }
      in_server && /^[[:space:]]*address[[:space:]]*=/ { print $2; exit }' "$config")
  fi
  address="${address:-127.0.0.1:8199}"
  # A wildcard listen address is reachable through loopback.
  echo "${address/0.0.0.0/127.0.0.1}"
}

# A zombie has exited but is not reaped yet (our parent may be a process that
# never reaps), so it counts as dead.
alive() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ "$stat" != Z* ]]
}

# Running koi: alive and still a koi binary. The name check stops a recycled
# pid (after a reboot or crash) from being taken for koi and, worse, killed by
# `stop`.
is_koi() {
  local pid=$1 comm name
  alive "$pid" || return 1
  comm=$(ps -o comm= -p "$pid" 2>/dev/null) || return 1
  name=$(basename "$bin")
  # The kernel truncates comm to 15 characters.
  [[ "$comm" == "${name:0:15}" ]]
}

# Prints the pid from the pid file when koi is running; fails otherwise.
running_pid() {
  [[ -s "$pid_file" ]] || return 1
  local pid
  pid=$(<"$pid_file")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  is_koi "$pid" || return 1
  echo "$pid"
}

last_log_lines() {
  if [[ -r "$log_file" ]]; then
    echo "--- last lines of $log_file ---" >&2
    tail -n 20 "$log_file" >&2
  fi
}

do_start() {
  local pid
  if pid=$(running_pid); then
    echo "koi already running (pid $pid)"
    return 0
  fi
  [[ -x "$bin" ]] || {
    echo "koi binary not found or not executable: $bin (set KOI_BIN)" >&2
    return 1
  }
  mkdir -p "$(dirname "$pid_file")" "$(dirname "$log_file")"
  local args=()
  [[ -z "$config" ]] || args+=(--config "$config")
  args+=(serve)
  # Own session, no terminal, output to the log: the server outlives this
  # shell and a Ctrl-C in the terminal that started it.
  setsid "$bin" "${args[@]}" >>"$log_file" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$pid_file"

  local url deadline
  url="http://$(probe_address)/health"
  deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    # Not is_koi: until setsid has exec'd koi the pid still has another name.
    if ! alive "$pid"; then
      echo "koi exited during startup" >&2
      rm -f "$pid_file"
      last_log_lines
      return 1
    fi
    if curl -fsS --noproxy "*" --max-time 2 -o /dev/null "$url" 2>/dev/null; then
      echo "koi started (pid $pid, $url)"
      return 0
    fi
    sleep 0.2
  done
  echo "koi did not answer $url within ${start_timeout}s; stopping it" >&2
  last_log_lines
  do_stop >/dev/null
  return 1
}

do_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    echo "koi not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  # Polled in tenths of a second so a quick shutdown returns quickly.
  local waited=0
  while is_koi "$pid" && ((waited < stop_timeout * 10)); do
    sleep 0.1
    waited=$((waited + 1))
  done
  if is_koi "$pid"; then
    echo "koi (pid $pid) still running after ${stop_timeout}s; sending KILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while is_koi "$pid"; do sleep 0.1; done
  fi
  rm -f "$pid_file"
  echo "koi stopped (pid $pid)"
}

do_status() {
  local pid
  if pid=$(running_pid); then
    echo "koi is running (pid $pid)"
    return 0
  fi
  if [[ -e "$pid_file" ]]; then
    echo "koi is not running (stale pid file $pid_file)"
    return 1
  fi
  echo "koi is not running"
  return 3
}

(($# == 1)) || usage
case "$1" in
  start) do_start ;;
  stop) do_stop ;;
  restart)
    do_stop
    do_start
    ;;
  status) do_status ;;
  tail)
    mkdir -p "$(dirname "$log_file")"
    touch "$log_file"
    exec tail -n 50 -F "$log_file"
    ;;
  *) usage ;;
esac
