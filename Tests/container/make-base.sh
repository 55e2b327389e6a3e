#!/usr/bin/env bash
# Makes the stand-in base image the tests build the jobs' image on (no public image can be pulled
# here): Debian bookworm with Python 3.11 and its venv module, from Debian's own packages, the
# same system python:3.11-slim-bookworm is. Kept between runs; rebuilt only when missing.
#   Tests/container/make-base.sh [IMAGE]     (default localhost/deployer-test-base:bookworm)
set -euo pipefail
image=${1:-localhost/deployer-test-base:bookworm}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")" && pwd)/containers.conf}
if podman image exists "$image"; then
  echo "make-base: $image exists"
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/deployer-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log"; echo "make-base: debootstrap from $mirror failed"; exit 1; }
tar -C "$work/root" -c . | podman import --change 'CMD ["/bin/bash"]' - "$image" > /dev/null
echo "make-base: made $image"
