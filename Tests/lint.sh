#!/usr/bin/env bash
# The formatters and linters, as CI runs them: swift format (config .swift-format), ruff (lint
# and format, config ruff.toml) over every Python file. Exits non-zero on the first finding set.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
echo "== swift format lint --strict"
swift format lint --strict --recursive --parallel Sources Tests Package.swift || status=1
echo "== ruff check"
ruff check . || status=1
echo "== ruff format --check"
ruff format --check . || status=1
[ "$status" -eq 0 ] && echo "lint: OK"
exit "$status"
