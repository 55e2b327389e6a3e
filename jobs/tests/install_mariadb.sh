#!/usr/bin/env bash
# Install the MariaDB server and client tools the CDC end-to-end test uses
# (mariadbd, mariadb-install-db, mariadb-binlog, mariadb). Idempotent: does nothing when
# they are already on PATH. Debian/Ubuntu (apt-get); needs root or sudo.
# The test starts its own server on 127.0.0.1 in a temp dir; this script starts nothing.
set -euo pipefail

have_all() {
  for tool in mariadbd mariadb-install-db mariadb-binlog mariadb; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || return 1
  done
}

if have_all; then
  echo "install_mariadb: mariadb binaries already present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The package's postinst may try to start the system service; in containers without an init
# that fails harmlessly, and policy-rc.d keeps it from starting where an init exists.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  CREATED_POLICY=1
fi
cleanup() { if [ "$CREATED_POLICY" = 1 ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT
$SUDO apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
have_all || { echo "install_mariadb: mariadb binaries still missing after install" >&2; exit 1; }
echo "install_mariadb: installed $(mariadbd --version 2>/dev/null || /usr/sbin/mariadbd --version)"
