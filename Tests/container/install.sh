#!/usr/bin/env bash
# Installs what the container suite needs from Debian's packages: podman with runc (crun fails on
# this machine kind's hybrid cgroups), catatonit (podman run --init), debootstrap (the stand-in
# base image), docker-registry and skopeo (a real OCI registry to push to and an inspector).
# Idempotent; needs root or sudo.
set -euo pipefail
bash "$(dirname "$0")/../apt-install.sh" podman runc catatonit debootstrap docker-registry skopeo
echo "container install: podman $(podman --version | awk '{print $3}') with runc, debootstrap"
