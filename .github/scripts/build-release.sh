#!/usr/bin/env bash
# Builds the distributable deployer: release, static Swift stdlib, stripped.
# Prints where it is, its size and the shared libraries it still needs.
# Usage: .github/scripts/build-release.sh [OUT_DIR]   (default: dist/)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/dist}
cd "$root"
swift build -c release --static-swift-stdlib --product deployer
bin=$(swift build -c release --static-swift-stdlib --show-bin-path)/deployer
mkdir -p "$out"
cp "$bin" "$out/deployer"
strip "$out/deployer"
size=$(stat -c %s "$out/deployer")
echo "binary: $out/deployer"
echo "size: $size bytes ($(( size / 1024 / 1024 )) MiB, stripped)"
echo "version: $("$out/deployer" --version)"
echo "shared libraries still needed:"
ldd "$out/deployer" | sed 's/^/  /'
