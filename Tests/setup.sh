#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (Debian + PyPI only). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
pip() { python3 -m pip install --disable-pip-version-check -q "$@"; }
pip -r jobs/requirements-dev.txt
# The jobs as installed packages (editable: the tests import the source tree).
pip --no-deps --no-build-isolation -e jobs/common -e jobs/sales_etl -e jobs/cdc_merge
pip -r Tests/peers/requirements.txt
# The Python linter and formatter Tests/lint.sh runs (pinned: its rules and format must not move under CI).
pip ruff==0.17.6
# MariaDB for the CDC end-to-end test (Debian package; the test starts its own server on 127.0.0.1).
bash jobs/tests/install_mariadb.sh
# podman, runc, debootstrap and a registry for the container suite (Tests/container).
bash Tests/container/install.sh
for tool in swift java terraform; do
  command -v "$tool" >/dev/null 2>&1 || echo "setup: warning: $tool is not on PATH (see the machine description)"
done
echo "setup: python test dependencies installed"
