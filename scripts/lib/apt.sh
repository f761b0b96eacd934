# shellcheck shell=bash
# Sourced by the scripts that install Debian packages for their own runs.

apt_install() { # PACKAGE...: installs them without starting their daemons
  apt-get update -qq
  # Without systemd, Debian's postinst starts a packaged daemon through
  # invoke-rc.d unless policy-rc.d says no; these scripts start their own
  # instances on free ports.
  local added_policy=false
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && added_policy=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  if $added_policy; then rm -f /usr/sbin/policy-rc.d; fi
}
