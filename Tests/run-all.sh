#!/usr/bin/env bash
# Every test of the project: installs what it needs, then runs the Swift suite against real
# peers, the jobs' pytest suite with local Spark on CPython 3.9 and 3.11, the jobs' container
# image (built from the Dockerfile with podman) and the Terraform checks; last, the contract test: every request deployer sent to the peers in those suites
# (recorded in DEPLOYER_CONTRACT_DIR) against botocore's service models. Exits non-zero if any
# part fails; prints a closing summary line.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash Tests/setup.sh || { echo "setup failed"; exit 1; }
# Local Spark (jobs tests, the local engine) binds to loopback only.
export SPARK_LOCAL_IP=127.0.0.1
# The peers every suite starts (Tests/peers/start.sh, the e2e moto) record deployer's requests here.
DEPLOYER_CONTRACT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/deployer-contract.XXXXXX")
export DEPLOYER_CONTRACT_DIR
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
run "lint (swift format --strict, ruff check, ruff format --check)" bash Tests/lint.sh
run "moto gaps (patched operations behave as botocore's models say)" python3 -m pytest Tests/peers/test_moto_gaps.py -q -rs
run "swift (SigV4, AWS core, CLI; SeaweedFS + moto)" bash Tests/run-swift.sh
run "faults (deployer apply through fault_proxy; SeaweedFS + moto)" python3 -m pytest Tests/faults -q -rs
# The jobs run on CPython 3.9 (EMR 7) and 3.11 (Glue 5.0): the suite runs on both (venvs .venv-py39/.venv-py311).
run "jobs (pytest, local Spark, CPython 3.9)" bash Tests/jobs-pythons.sh 3.9
run "jobs (pytest, local Spark, CPython 3.11)" bash Tests/jobs-pythons.sh 3.11
run "dependencies (bundles, isolated interpreter, Spark standalone cluster)" python3 -m pytest Tests/deps -q -rs
run "containers (the jobs' image from the Dockerfile, local targets with image:; podman)" python3 -m pytest Tests/container -q -rs
run "e2e (terraform apply -> roles -> deployer on moto, IAM enforced)" python3 -m pytest Tests/e2e -q -rs
run "terraform (fmt, validate, test, checkov)" bash terraform/check.sh
run "workflows (actionlint, zizmor)" bash .github/check.sh
run "docs (data model vs SQL, mermaid, commands vs --help, roles table vs terraform)" bash docs/check.sh
run "contract validator (unit tests)" python3 -m pytest Tests/contract -q
run "contract (every request deployer sent vs botocore's models)" python3 Tests/contract/validate.py "$DEPLOYER_CONTRACT_DIR"
echo "contract records: $DEPLOYER_CONTRACT_DIR"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
