#!/usr/bin/env bash
# The formatters and linters, as CI runs them: swift format (config .swift-format), ruff (lint
# and format, config ruff.toml) over every Python file. Exits non-zero on the first finding set.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
echo "== swift format lint --strict"
swift format lint --strict --recursive --parallel Sources Tests Plugins Package.swift || status=1
echo "== ruff check"
ruff check . || status=1
echo "== ruff format --check"
ruff format --check . || status=1
echo "== every subcommand names itself (commandName:)"
# Without it ArgumentParser derives the name with String(describing: Self.self) for every
# subcommand at start, a protocol-conformance scan of the whole binary: a third of the start-up
# of `deployer --version` (perf, docs/architecture.md). One line per CommandConfiguration( that
# does not say commandName: before its closing parenthesis.
python3 - <<'PY' || status=1
import pathlib, re, sys
missing = []
for path in sorted(pathlib.Path("Sources/deployer").rglob("*.swift")):
    text = path.read_text()
    for match in re.finditer(r"CommandConfiguration\(", text):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        if "commandName:" not in text[match.end():end]:
            missing.append(f"{path}:{text.count(chr(10), 0, match.start()) + 1}: CommandConfiguration without commandName:")
print("\n".join(missing) or "all subcommands name themselves")
sys.exit(1 if missing else 0)
PY
[ "$status" -eq 0 ] && echo "lint: OK"
exit "$status"
