#!/usr/bin/env bash
# SigV4 benchmark: ours vs botocore on the same requests, SHA-256 vs OpenSSL (hashlib),
# cold start of `deployer --version` vs `aws --version`. Prints figures and ratios measured
# in this run. Goals (issue 2): >= 50x botocore, >= 0.8x OpenSSL, >= 50x faster start.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${BENCH_SECONDS:-3}
vectors=Tests/SigV4Tests/Vectors/botocore-random.json

echo "== building release binaries (static stdlib; deployer exactly as the distributable script builds it)"
dist=$(mktemp -d)
trap 'rm -rf "$dist"' EXIT
bash .github/scripts/build-release.sh "$dist" >/dev/null
swift build -c release --static-swift-stdlib --product deployer-bench >/dev/null
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

echo "== signing ($seconds s each, $(python3 -c "import json;print(len(json.load(open('$vectors'))['cases']))") requests from $vectors, body hashing included)"
ours=$("$bin/deployer-bench" sign "$vectors" "$seconds")
theirs=$(python3 Tests/Benchmarks/botocore_sign_rate.py "$vectors" "$seconds")
ours_rate=$(echo "$ours" | field per_second)
theirs_rate=$(echo "$theirs" | field per_second)
echo "deployer : $ours"
echo "botocore : $theirs"
python3 -c "r=$ours_rate/$theirs_rate; print(f'ratio    : {r:.1f}x botocore (goal >= 50x) -> {\"MET\" if r >= 50 else \"NOT MET\"}')"

echo "== SHA-256 of 512 MiB in memory (best of 3)"
ours=$("$bin/deployer-bench" sha256 512)
theirs=$(python3 - <<'PY'
import hashlib, time
buf = b"a" * (512 << 20)
best = min((lambda: (lambda s: (hashlib.sha256(buf).hexdigest(), time.perf_counter() - s)[1])(time.perf_counter()))() for _ in range(3))
print(f"bytes={len(buf)} seconds={best:.4f} gb_per_second={len(buf) / best / 1e9:.3f} (python hashlib = OpenSSL {__import__('ssl').OPENSSL_VERSION})")
PY
)
echo "deployer : $ours"
echo "openssl  : $theirs"
python3 -c "r=$(echo "$ours" | field gb_per_second)/$(echo "$theirs" | field gb_per_second); print(f'ratio    : {r:.2f}x OpenSSL (goal >= 0.8x) -> {\"MET\" if r >= 0.8 else \"NOT MET\"}')"

echo "== cold start of the stripped distributable ($(file -b "$dist/deployer" | cut -d, -f1))"
if command -v hyperfine >/dev/null 2>&1 && command -v aws >/dev/null 2>&1; then
  # hyperfine -N execs directly (no shell, no Python fork in the figure): fairest for a 6 ms binary.
  hyperfine -N --warmup 3 --runs 30 --export-json "${TMPDIR:-/tmp}/deployer-start.json" "$dist/deployer --version" >/dev/null
  hyperfine -N --warmup 2 --runs 10 --export-json "${TMPDIR:-/tmp}/aws-start.json" "aws --version" >/dev/null
  python3 - <<'PY'
import json, os
tmp = os.environ.get("TMPDIR", "/tmp")
ours = json.load(open(f"{tmp}/deployer-start.json"))["results"][0]["mean"] * 1000
theirs = json.load(open(f"{tmp}/aws-start.json"))["results"][0]["mean"] * 1000
r = theirs / ours
print(f"deployer --version : {ours:.1f} ms (hyperfine, 30 runs)")
print(f"aws --version      : {theirs:.1f} ms (hyperfine, 10 runs)")
print(f"ratio              : {r:.0f}x faster (goal >= 50x) -> {'MET' if r >= 50 else 'NOT MET'}")
PY
else
  echo "(hyperfine not installed: 'apt-get install hyperfine' for exec-level timing; using Python subprocess, which adds its own fork cost)"
  python3 - "$dist/deployer" <<'PY'
import statistics, subprocess, sys, time, shutil
def mean_ms(cmd):
    runs = []
    for _ in range(10):
        s = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        runs.append((time.perf_counter() - s) * 1000)
    return statistics.mean(runs)
ours = mean_ms([sys.argv[1], "--version"])
aws = shutil.which("aws")
print(f"deployer --version : {ours:.1f} ms")
if aws:
    theirs = mean_ms([aws, "--version"])
    r = theirs / ours
    print(f"aws --version      : {theirs:.1f} ms")
    print(f"ratio              : {r:.0f}x faster (goal >= 50x) -> {'MET' if r >= 50 else 'NOT MET'}")
else:
    print("aws CLI not installed: no anchor for the start-up ratio")
PY
fi
