#!/usr/bin/env bash
# The jobs' pytest suite (jobs/tests, local Spark) on each CPython the jobs run on in AWS:
# 3.9 (EMR 7's default) and 3.11 (Glue 5.0's).
#
#   bash Tests/jobs-pythons.sh            # both, 3.9 then 3.11
#   bash Tests/jobs-pythons.sh 3.9        # one of them
#
# For each version: the interpreter is the newest pyenv build ($(pyenv root)/versions/X.Y.*),
# else pythonX.Y on PATH; a venv .venv-pyXY at the repo root (git-ignored) is created or reused,
# the jobs' requirements and the jobs themselves (editable, from their pyproject.toml) are
# installed into it (quietly, only when they changed), and
# `python -m pytest jobs/tests -q` runs with that venv's python for the driver, the Spark workers
# and spark-submit. A missing interpreter is a failure, never a skip. Exits non-zero if any fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(3.9 3.11)

pyenv_root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
requirements=(jobs/requirements-dev.txt jobs/sales_etl/requirements.txt jobs/sales_etl/requirements-duckdb.txt jobs/cdc_merge/requirements.txt)
packages=(jobs/common jobs/sales_etl jobs/cdc_merge)

# The interpreter for X.Y: newest $pyenv_root/versions/X.Y.*, else pythonX.Y on PATH; it must
# really be X.Y (a pyenv shim for an uninstalled version is not).
find_python() {
  local version=$1 candidate found=""
  for candidate in $(ls -d "$pyenv_root/versions/$version".* 2>/dev/null | sort -V); do
    [ -x "$candidate/bin/python$version" ] && found="$candidate/bin/python$version"
  done
  if [ -z "$found" ]; then
    found=$(command -v "python$version" 2>/dev/null || true)
  fi
  [ -n "$found" ] || return 1
  [ "$("$found" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ] || return 1
  echo "$found"
}

run_version() {
  local version=$1 python venv stamp want
  if ! python=$(find_python "$version"); then
    echo "FAILED: CPython $version not found (looked for $pyenv_root/versions/$version.*/bin/python$version" \
      "and python$version on PATH). Install it: pyenv install $version  (or apt-get install python$version python$version-venv)"
    return 1
  fi
  venv="$root/.venv-py${version//./}"
  if ! "$venv/bin/python" -c 'import sys; sys.exit(0 if "%d.%d" % sys.version_info[:2] == "'"$version"'" else 1)' 2>/dev/null; then
    echo "jobs-pythons: creating $venv with $python"
    rm -rf "$venv"
    "$python" -m venv "$venv" || { echo "FAILED: CPython $version: cannot create $venv"; return 1; }
  fi
  # Reinstall only when the requirement files changed since the last successful install.
  stamp="$venv/.jobs-requirements.sha256"
  want=$(cat "${requirements[@]}" jobs/requirements.txt "${packages[@]/%//pyproject.toml}" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "jobs-pythons: installing ${requirements[*]} and the jobs' packages (${packages[*]}, editable) into $venv"
    local args=()
    for r in "${requirements[@]}"; do args+=(-r "$r"); done
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q "${args[@]}"; then
      echo "FAILED: CPython $version: pip install ${requirements[*]} failed"
      return 1
    fi
    # The jobs as installed packages (pyproject.toml each): the tests import them as any package.
    local editable=()
    for p in "${packages[@]}"; do editable+=(-e "$p"); done
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation "${editable[@]}"; then
      echo "FAILED: CPython $version: pip install -e ${packages[*]} failed"
      return 1
    fi
    echo "$want" >"$stamp"
  fi
  echo "jobs-pythons: CPython $("$venv/bin/python" -c 'import platform; print(platform.python_version())')" \
    "($venv/bin/python, from $python)," \
    "pyspark $("$venv/bin/python" -c 'import pyspark; print(pyspark.__version__)'), running python -m pytest jobs/tests -q"
  # The venv's python everywhere: the driver, Spark's Python workers, spark-submit on PATH.
  (
    export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
    export PYSPARK_PYTHON="$venv/bin/python" PYSPARK_DRIVER_PYTHON="$venv/bin/python"
    export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
    unset PYTHONPATH PYTHONHOME PYENV_VERSION
    "$venv/bin/python" -m pytest jobs/tests -q
  )
  local status=$?
  if [ $status -ne 0 ]; then
    echo "FAILED: jobs tests on CPython $version (exit $status)"
    return 1
  fi
  echo "jobs-pythons: CPython $version: OK"
}

failed=0
for version in "${versions[@]}"; do
  case "$version" in
    3.9 | 3.11) ;;
    *) echo "FAILED: unsupported version '$version' (the jobs run on 3.9 and 3.11)"; failed=1; continue ;;
  esac
  run_version "$version" || failed=1
done
exit $failed
