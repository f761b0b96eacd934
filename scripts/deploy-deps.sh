#!/usr/bin/env bash
# Installs what the deployment tests (cargo test --test deploy) need: nginx,
# supervisor, curl, shellcheck and Prometheus Alertmanager (alert delivery),
# and what the dashboard tests (cargo test --test browser) need: chromium and
# chromium-driver, with a Chinese font (fonts-wqy-microhei) so zh-CN screenshots
# are legible. Safe to re-run: installs only what is missing.
#
# The tests run their own nginx and supervisord on free ports with configs in
# temp dirs, so the distribution's daemons must not start on install: a system
# nginx would hold port 80 and a system supervisord would run its own programs.
# Without systemd, Debian's postinst scripts start daemons through invoke-rc.d,
# which asks /usr/sbin/policy-rc.d first; exit code 101 means "do not start".
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

packages=(nginx supervisor curl shellcheck prometheus-alertmanager chromium chromium-driver fonts-wqy-microhei)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

policy=/usr/sbin/policy-rc.d
created_policy=""
cleanup() {
  # Only remove a policy we wrote: an existing one (Docker images ship one)
  # belongs to the machine.
  if [[ -n "$created_policy" ]]; then rm -f "$policy"; fi
}
trap cleanup EXIT

if ((${#missing[@]})); then
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# Temporary, written by koi scripts/deploy-deps.sh.\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi

# Belt and braces for machines where the policy was ignored (e.g. a systemd
# host, where units are enabled and started by deb-systemd-invoke): stop and
# disable the system daemons, but only those this run just installed, never a
# daemon somebody was already running on purpose.
stop_system_daemon() {
  local service=$1
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  elif [[ -x "/etc/init.d/$service" ]]; then
    "/etc/init.d/$service" stop >/dev/null 2>&1 || true
  fi
}
for p in "${missing[@]}"; do
  case "$p" in
    nginx | supervisor | prometheus-alertmanager) stop_system_daemon "$p" ;;
  esac
done

for tool in nginx supervisord supervisorctl curl shellcheck prometheus-alertmanager chromium chromedriver; do
  command -v "$tool" >/dev/null || {
    echo "deploy-deps: $tool is still missing after install" >&2
    exit 1
  }
done
