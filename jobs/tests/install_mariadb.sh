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

bash "$(dirname "$0")/../../Tests/apt-install.sh" --no-recommends mariadb-server mariadb-client
have_all || { echo "install_mariadb: mariadb binaries still missing after install" >&2; exit 1; }
echo "install_mariadb: installed $(mariadbd --version 2>/dev/null || /usr/sbin/mariadbd --version)"
