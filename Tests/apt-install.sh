#!/usr/bin/env bash
# Installs Debian packages for the test suites without starting their services:
#   bash Tests/apt-install.sh [--no-recommends] PACKAGE...
# Packages already installed are skipped (nothing runs when all are); needs root or sudo. A
# policy-rc.d that refuses service starts is in place during the install (the suites start their
# own servers on 127.0.0.1), then removed if this script made it.
set -euo pipefail
options=()
if [ "${1:-}" = "--no-recommends" ]; then
  options+=(--no-install-recommends)
  shift
fi
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" != "0" ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
policy=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  created=1
fi
cleanup() { if [ "$created" = 1 ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get install -y -qq "${options[@]}" "${missing[@]}" >/dev/null
echo "apt-install: installed ${missing[*]}"
