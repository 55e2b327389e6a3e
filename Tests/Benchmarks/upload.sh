#!/usr/bin/env bash
# Upload and plan benchmark against real peers on 127.0.0.1 (SeaweedFS + moto), anchors measured
# in the same run:
#  1. a 200 MB artifact uploaded by deployer's uploader vs `aws s3 cp` (wall time, peak RSS);
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

echo "== upload to SeaweedFS (best of 3 each, same file, page cache warm)"
for size in 50 200 400; do
  head -c $((size * 1024 * 1024)) /dev/urandom >"$work/artifact-$size.bin"
done
cat "$work"/artifact-*.bin >/dev/null
best() { # label command... : best wall time of 3, its RSS
  local label=$1; shift; local out best_line=""
  for _ in 1 2 3; do
    out=$(measure "$label" "$@")
    if [ -z "$best_line" ] || awk -v a="$(echo "$out" | cut -d' ' -f2)" -v b="$(echo "$best_line" | cut -d' ' -f2)" 'BEGIN{exit !(a<b)}'; then best_line=$out; fi
  done
  echo "$best_line"
}
ours=$(best deployer "$bin/deployer-bench" upload "$work/artifact-200.bin" bench ours/200.bin)
theirs=$(best aws-s3-cp aws --endpoint-url "$DEPLOYER_IT_S3_ENDPOINT" s3 cp "$work/artifact-200.bin" s3://bench/theirs/200.bin)
echo "200 MB  deployer   : $(echo "$ours" | cut -d' ' -f2) s, peak RSS $(echo "$ours" | cut -d' ' -f3) MB"
echo "200 MB  aws s3 cp  : $(echo "$theirs" | cut -d' ' -f2) s, peak RSS $(echo "$theirs" | cut -d' ' -f3) MB"
python3 -c "r=$(echo "$ours" | cut -d' ' -f2)/$(echo "$theirs" | cut -d' ' -f2); print(f'time ratio         : {r:.2f}x aws s3 cp (goal <= 0.7x) -> {\"MET\" if r <= 0.7 else \"NOT MET\"}')"
for size in 50 400; do
  line=$(measure deployer "$bin/deployer-bench" upload "$work/artifact-$size.bin" bench "ours/$size.bin")
  echo "$size MB  deployer   : $(echo "$line" | cut -d' ' -f2) s, peak RSS $(echo "$line" | cut -d' ' -f3) MB"
done
echo "(RSS flat as the file grows means the 50/200/400 MB figures stay close)"

echo "== plan with N jobs and no changes (Glue on moto, artifacts in SeaweedFS)"
cp -r jobs/sales_etl "$work/sales_etl"
for n in 1 50; do
  dir="$work/plan-$n"; mkdir -p "$dir"
  {
    echo "project: bench"
    echo "targets:"
    echo "  b$n: {engine: glue, region: us-east-1, artifacts: {bucket: bench, prefix: p$n}, role_arn: 'arn:aws:iam::123456789012:role/glue'}"
    echo "jobs:"
    for i in $(seq 1 "$n"); do echo "  job$i: {source: $work/sales_etl}"; done
  } >"$dir/deployer.yml"
  (cd "$dir" && "$bin/deployer" apply -t "b$n" --auto-approve >/dev/null 2>&1)
  (cd "$dir" && "$bin/deployer" plan -t "b$n" --detailed-exitcode >/dev/null) || { echo "plan with $n jobs is not clean"; exit 1; }
  line=$(cd "$dir" && best "plan-$n" "$bin/deployer" plan -t "b$n" --detailed-exitcode)
  echo "plan, $n job(s), no changes: $(echo "$line" | cut -d' ' -f2) s, peak RSS $(echo "$line" | cut -d' ' -f3) MB"
done
