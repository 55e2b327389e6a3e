#!/usr/bin/env bash
# Builds the repository's Dockerfile with podman the way the tests and the benchmark do:
#   Tests/container/build-image.sh IMAGE [BASE]
# BASE defaults to the stand-in made by make-base.sh. Where packages come from is this machine's
# concern, not the Dockerfile's: the host's pip configuration and CA bundle are mounted into the
# build's RUN steps read-only (podman build --volume), so a PyPI mirror or proxy CA works here
# while the Dockerfile stays the one users build against the public registries.
set -euo pipefail
image=$1
base=${2:-localhost/deployer-test-base:bookworm}
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/Tests/container/containers.conf}
sources=()
for file in /etc/pip.conf /etc/ssl/certs/ca-certificates.crt; do
  [ -f "$file" ] && sources+=(--volume "$file:$file:ro")
done
[ -d /opt/wheels ] && sources+=(--volume /opt/wheels:/opt/wheels:ro)
exec podman build --network host "${sources[@]}" --build-arg "BASE=$base" -t "$image" -f "$root/Dockerfile" "$root"
