#!/usr/bin/env bash
# Installs what the container suite needs from Debian's packages: podman with runc (crun fails on
# this machine kind's hybrid cgroups), catatonit (podman run --init), debootstrap (the stand-in
# base image), docker-registry and skopeo (a real OCI registry to push to and an inspector).
# Idempotent: does nothing when all are there. Needs root or sudo.
set -euo pipefail
packages=(podman runc catatonit debootstrap docker-registry skopeo)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "container install: ${packages[*]} already present"
  exit 0
fi
SUDO=""
[ "$(id -u)" != "0" ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# docker-registry's package starts its service where an init exists: the tests start their own.
POLICY=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  created=1
fi
$SUDO apt-get install -y -q "${missing[@]}" >/dev/null
[ "$created" = 1 ] && $SUDO rm -f "$POLICY"
echo "container install: installed ${missing[*]}"
