#!/usr/bin/env bash
# Peak memory of packaging and a local apply with one large file in a job (issue: packaging a
# 150 MB file peaked at 461 MB RSS; goal <= 64 MB whatever the size). Prints, per file size,
# the wall time and peak RSS (GNU time) of `deployer package` and `deployer apply -t local`,
# and checks both give the same artifact digest.
# Usage: Tests/Benchmarks/package_memory.sh [SIZE_MB ...]   (default: 150 600)
# DEPLOYER_BIN picks the binary (default .build/release/deployer, else .build/debug/deployer).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${DEPLOYER_BIN:-}
if [ -z "$bin" ]; then
  bin=$root/.build/release/deployer
  [ -x "$bin" ] || bin=$root/.build/debug/deployer
fi
[ -x "$bin" ] || { echo "package_memory: no deployer binary (swift build first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "package_memory: /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(150 600)
work=$(mktemp -d "${TMPDIR:-/tmp}/deployer-mem.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/jobs/sales_etl" "$work/"
cat >"$work/deployer.yml" <<'YAML'
project: mem
targets:
  local:
    engine: local
    artifacts: {path: state}
jobs:
  sales_etl:
    source: sales_etl
YAML
echo "binary: $bin"
printf '%-8s %-8s %10s %12s  %s\n' "size" "command" "wall s" "peak RSS MB" "digest"
for mb in "${sizes[@]}"; do
  head -c $((mb * 1048576)) /dev/urandom >"$work/sales_etl/src/sales_etl/blob.bin"
  for command in package apply; do
    rm -rf "$work/state" "$work/.deployer"
    args=(package)
    [ "$command" = apply ] && args=(apply -t local --auto-approve)
    (cd "$work" && /usr/bin/time -f '%e %M' -o "$work/time.txt" "$bin" "${args[@]}" >"$work/out.txt" 2>&1) || { cat "$work/out.txt"; exit 1; }
    read -r wall kb <"$work/time.txt"
    digest=$(ls "$work/.deployer/build/sales_etl" | grep -v '^\.' | head -1)
    printf '%-8s %-8s %10s %12s  %s\n' "${mb}MB" "$command" "$wall" "$((kb / 1024))" "${digest:0:12}"
  done
done
