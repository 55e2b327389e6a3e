#!/usr/bin/env bash
# The Swift suite with its real peers: starts SeaweedFS and moto_server (auth on) on
# 127.0.0.1, generates fresh botocore SigV4 vectors with a new seed, runs `swift test`,
# and stops the peers whatever happens.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=$(mktemp -d "${TMPDIR:-/tmp}/deployer-peers.XXXXXX")
trap 'bash Tests/peers/stop.sh "$state" >/dev/null 2>&1 || true; rm -rf "$state"' EXIT
bash Tests/peers/start.sh "$state"
# shellcheck disable=SC1091
source "$state/peers.env"
seed=${SIGV4_SEED:-$RANDOM$RANDOM}
python3 Tests/SigV4Tests/Vectors/make_botocore_vectors.py --count 300 --seed "$seed" --out "$state/botocore-fresh.json"
echo "fresh botocore vectors: seed $seed"
export SIGV4_RANDOM_VECTORS="$state/botocore-fresh.json"
export DEPLOYER_JOBS_PYTHON=${DEPLOYER_JOBS_PYTHON:-python3}
swift build --build-tests
set +e
swift test --skip-build 2>&1 | tee "$state/swift-test.log"
status=${PIPESTATUS[0]}
set -e
skipped=$(grep -c "Test skipped" "$state/swift-test.log" || true)
echo "swift test: exit $status, $skipped skipped"
exit "$status"
