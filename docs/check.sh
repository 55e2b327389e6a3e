#!/usr/bin/env bash
# Documentation checks; runs from any cwd, exits non-zero if any part fails.
#   1. data model: docs/data-model.md against the SQL models, sources and DQ rules
#   2. Mermaid: every ```mermaid block in docs/*.md and README.md parses (validator self-test first)
#   3. docs vs CLI: every `deployer CMD` and flag in docs/*.md and README.md exists in the built
#      binary's --help (DEPLOYER_BIN, default .build/debug/deployer; build it with `swift build`)
#   4. roles: the "who may do what" table in docs/architecture.md against the IAM policy statements
#      in terraform/modules (docs/check_roles.py; --write regenerates it)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
py=${PYTHON:-python3}
docs=(docs/*.md)
[ -f README.md ] && docs+=(README.md)

failed=0
summary=()
stage() { # stage NAME COMMAND...
  local name=$1 out rc
  shift
  echo "== $name"
  out=$("$@" 2>&1)
  rc=$?
  echo "$out"
  if [ "$rc" -eq 0 ]; then
    summary+=("$name: OK ($(printf '%s\n' "$out" | tail -n1))")
  else
    summary+=("$name: FAILED ($(printf '%s\n' "$out" | tail -n1))")
    failed=1
  fi
}

stage "data-model self-test" "$py" docs/check_data_model.py --self-test
stage "data-model" "$py" docs/check_data_model.py
stage "mermaid self-test" "$py" docs/check_mermaid.py --self-test
stage "mermaid" "$py" docs/check_mermaid.py "${docs[@]}"
stage "docs-vs-cli" "$py" docs/check_cli.py "${docs[@]}"
stage "roles self-test" "$py" docs/check_roles.py --self-test
stage "roles table vs terraform" "$py" docs/check_roles.py

echo
printf '%s\n' "${summary[@]}"
exit "$failed"
