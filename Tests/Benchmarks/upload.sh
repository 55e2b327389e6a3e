#!/usr/bin/env bash
# Upload and plan benchmark against real peers on 127.0.0.1 (SeaweedFS + moto), anchors measured
# in the same run:
#  1. a 200 MB artifact uploaded by deployer's uploader vs `aws s3 cp`, interleaved runs (wall time
#     median and best, peak RSS, client and server CPU);
#     deployer's RSS at 50 / 200 / 400 MB shows whether memory stays flat as the file grows.
#     Goal (issue 4): <= 0.7x the time of aws s3 cp, flat RSS.
#  2. `deployer plan` with 50 jobs and no changes vs 1 job (requests run in parallel).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
work=$(mktemp -d "${TMPDIR:-/tmp}/deployer-bench.XXXXXX")
trap 'bash Tests/peers/stop.sh "$work/peers" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
echo "== building release binaries"
swift build -c release --product deployer-bench >/dev/null
swift build -c release --product deployer >/dev/null
bin=$(swift build -c release --show-bin-path)
bash Tests/peers/start.sh "$work/peers" >/dev/null
# shellcheck disable=SC1091
source "$work/peers/peers.env"
export AWS_ACCESS_KEY_ID=$DEPLOYER_IT_MOTO_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$DEPLOYER_IT_MOTO_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL_S3=$DEPLOYER_IT_S3_ENDPOINT AWS_ENDPOINT_URL=$DEPLOYER_IT_MOTO_ENDPOINT AWS_EC2_METADATA_DISABLED=true
aws --endpoint-url "$DEPLOYER_IT_S3_ENDPOINT" s3 mb s3://bench >/dev/null

measure() { # label command... -> "label seconds rss_mb"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; return 1; }
  read -r secs kb <"$work/time.txt"
  echo "$label $secs $((kb / 1024))"
}
best() { # label command... : best wall time of 3, its RSS
  local label=$1; shift; local out best_line=""
  for _ in 1 2 3; do
    out=$(measure "$label" "$@")
    if [ -z "$best_line" ] || awk -v a="$(echo "$out" | cut -d' ' -f2)" -v b="$(echo "$best_line" | cut -d' ' -f2)" 'BEGIN{exit !(a<b)}'; then best_line=$out; fi
  done
  echo "$best_line"
}

runs=${BENCH_RUNS:-9}
echo "== upload of 200 MB to SeaweedFS (1 warm-up + $runs runs each, interleaved, same file, page cache warm)"
for size in 50 200 400; do
  head -c $((size * 1024 * 1024)) /dev/urandom >"$work/artifact-$size.bin"
done
cat "$work"/artifact-*.bin >/dev/null
# The server shares the 2 cores with the client: its CPU per upload is printed too, since it
# bounds how fast any client can go here.
weed_ticks() { awk '{print $14 + $15}' "/proc/$DEPLOYER_IT_WEED_PID/stat"; }
ticks_per_second=$(getconf CLK_TCK)
timed() { # label command... -> "label wall_s rss_mb client_cpu_s server_cpu_s"
  local label=$1; shift
  local before after
  before=$(weed_ticks)
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; return 1; }
  after=$(weed_ticks)
  read -r secs kb user sys <"$work/time.txt"
  echo "$label $secs $((kb / 1024)) $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}') $(awk -v t=$((after - before)) -v h="$ticks_per_second" 'BEGIN{printf "%.2f", t / h}')"
}
: >"$work/runs.txt"
ours_upload() { timed deployer "$bin/deployer-bench" upload "$work/artifact-200.bin" bench ours/200.bin >>"$work/runs.txt"; }
aws_upload() { timed aws-s3-cp aws --endpoint-url "$DEPLOYER_IT_S3_ENDPOINT" s3 cp "$work/artifact-200.bin" s3://bench/theirs/200.bin >>"$work/runs.txt"; }
# Warm-up, not counted: the store's first large write grows its volumes (~1 s extra here),
# which would otherwise land on whichever client goes first.
ours_upload && aws_upload && : >"$work/runs.txt"
# Who goes first alternates, so neither client always follows the other's writes.
for run in $(seq "$runs"); do
  if [ $((run % 2)) -eq 1 ]; then ours_upload; aws_upload; else aws_upload; ours_upload; fi
done
python3 - "$work/runs.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def column(label, index):
    return [float(row[index]) for row in rows if row[0] == label]
for label, name in (("deployer", "deployer  "), ("aws-s3-cp", "aws s3 cp ")):
    wall = column(label, 1)
    print(f"200 MB  {name}: median {statistics.median(wall):.2f} s, best {min(wall):.2f} s, runs {' '.join(f'{w:.2f}' for w in wall)}; "
          f"peak RSS median {statistics.median(column(label, 2)):.0f} MB (max {max(column(label, 2)):.0f}); client CPU {statistics.median(column(label, 3)):.2f} s; SeaweedFS CPU {statistics.median(column(label, 4)):.2f} s")
ours, theirs = column("deployer", 1), column("aws-s3-cp", 1)
median = statistics.median(ours) / statistics.median(theirs)
best = min(ours) / min(theirs)
print(f"time ratio (medians): {median:.2f}x aws s3 cp (goal <= 0.7x) -> {'MET' if median <= 0.7 else 'NOT MET'}")
print(f"time ratio (bests)  : {best:.2f}x aws s3 cp")
PY
for size in 50 400; do
  line=$(measure deployer "$bin/deployer-bench" upload "$work/artifact-$size.bin" bench "ours/$size.bin")
  echo "$size MB  deployer   : $(echo "$line" | cut -d' ' -f2) s, peak RSS $(echo "$line" | cut -d' ' -f3) MB"
done
echo "(RSS flat as the file grows means the 50/200/400 MB figures stay close)"

echo "== plan with N jobs and no changes (Glue on moto, artifacts in SeaweedFS)"
for n in 1 50; do
  dir="$work/plan-$n"; mkdir -p "$dir"
  # Sources must lie inside the manifest's folder (anything else is refused, and a refused
  # apply must stop the benchmark, not leave it timing an error).
  cp -r jobs/sales_etl "$dir/sales_etl"
  {
    echo "project: bench"
    echo "targets:"
    echo "  b$n: {engine: glue, region: us-east-1, artifacts: {bucket: bench, prefix: p$n}, role_arn: 'arn:aws:iam::123456789012:role/glue'}"
    echo "jobs:"
    for i in $(seq 1 "$n"); do echo "  job$i: {source: sales_etl}"; done
  } >"$dir/deployer.yml"
  (cd "$dir" && "$bin/deployer" apply -t "b$n" --auto-approve >"$work/apply.log" 2>&1) || { echo "apply with $n jobs failed:"; tail -5 "$work/apply.log"; exit 1; }
  (cd "$dir" && "$bin/deployer" plan -t "b$n" --detailed-exitcode >/dev/null) || { echo "plan with $n jobs is not clean"; exit 1; }
  line=$(cd "$dir" && best "plan-$n" "$bin/deployer" plan -t "b$n" --detailed-exitcode)
  echo "plan, $n job(s), no changes: $(echo "$line" | cut -d' ' -f2) s, peak RSS $(echo "$line" | cut -d' ' -f3) MB"
done
