#!/usr/bin/env bash
# Every test of the project: installs what it needs, then runs the Swift suite against real
# peers, the jobs' pytest suite with local Spark on CPython 3.9 and 3.11, and the Terraform
# checks. Exits non-zero if any part fails; prints a closing summary line.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash Tests/setup.sh || { echo "setup failed"; exit 1; }
# Local Spark (jobs tests, the local engine) binds to loopback only.
export SPARK_LOCAL_IP=127.0.0.1
failed=0
passed=0
run() {
  local name=$1
  shift
  echo "=============== $name"
  if "$@"; then
    echo "=============== $name: OK"
    passed=$((passed + 1))
  else
    echo "=============== $name: FAILED"
    failed=$((failed + 1))
  fi
}
run "swift (SigV4, AWS core, CLI; SeaweedFS + moto)" bash Tests/run-swift.sh
run "faults (deployer apply through fault_proxy; SeaweedFS + moto)" python3 -m pytest Tests/faults -q -rs
# The jobs run on CPython 3.9 (EMR 7) and 3.11 (Glue 5.0): the suite runs on both (venvs .venv-py39/.venv-py311).
run "jobs (pytest, local Spark, CPython 3.9)" bash Tests/jobs-pythons.sh 3.9
run "jobs (pytest, local Spark, CPython 3.11)" bash Tests/jobs-pythons.sh 3.11
run "dependencies (bundles, isolated interpreter, Spark standalone cluster)" python3 -m pytest Tests/deps -q -rs
run "e2e (terraform apply -> roles -> deployer on moto, IAM enforced)" python3 -m pytest Tests/e2e -q -rs
run "terraform (fmt, validate, test, checkov)" bash terraform/check.sh
run "workflows (actionlint, zizmor)" bash .github/check.sh
run "docs (data model vs SQL, mermaid, commands vs --help, roles table vs terraform)" bash docs/check.sh
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
