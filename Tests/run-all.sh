#!/usr/bin/env bash
# Every test of the project: installs what it needs, then runs the Swift suite against real
# peers, the job's pytest suite with local Spark, and the Terraform checks. Exits non-zero if
# any part fails; prints a closing summary line.
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
run "jobs (pytest, local Spark)" python3 -m pytest jobs/tests -q
run "e2e (terraform apply -> roles -> deployer on moto, IAM enforced)" python3 -m pytest Tests/e2e -q -rs
run "terraform (fmt, validate, test, checkov)" bash terraform/check.sh
run "workflows (actionlint, zizmor)" bash .github/check.sh
run "docs (data model vs SQL, mermaid, commands vs --help, roles table vs terraform)" bash docs/check.sh
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
