#!/usr/bin/env bash
# Build the local runtime base image for the Semantik images when no registry can be reached:
# a minimal Debian (python3 = 3.11 on bookworm) from debootstrap, imported as ${BASE_NAME}:${SUITE}.
# Sites with a registry skip this and build FROM debian:bookworm-slim (the Dockerfile default).
#   app/docker/build-base-image.sh            # -> semantik-base:bookworm
# Env: SUITE (bookworm), BASE_NAME (semantik-base), DEBIAN_MIRROR, FORCE=1 to rebuild.
set -euo pipefail

suite=${SUITE:-bookworm}
name=${BASE_NAME:-semantik-base}:$suite
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# python3-venv: the wheels stage builds a venv; ca-certificates: TLS to Qdrant/registries at runtime;
# tini is not needed (the entrypoint execs one process; compose sets init: true).
packages=python3,python3-venv,ca-certificates

if docker image inspect "$name" >/dev/null 2>&1 && [ "${FORCE:-0}" != 1 ]; then
  echo "$name exists (FORCE=1 rebuilds)"; exit 0
fi
if timeout 60 docker pull -q "debian:$suite-slim" >/dev/null 2>&1; then
  docker tag "debian:$suite-slim" "$name.pulled" && echo "pulled debian:$suite-slim; build with --build-arg BASE_IMAGE=debian:$suite-slim"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "debootstrap is not installed (apt-get install debootstrap)" >&2; exit 1; }
rootfs=$(mktemp -d "${TMPDIR:-/tmp}/semantik-base.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror"
# Leave out what a runtime image never reads: apt lists and caches, docs, man pages, locales.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
       "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log "$rootfs"/debootstrap
tar -C "$rootfs" --numeric-owner -c . | docker import \
  -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["/bin/bash"]' - "$name"
echo "built $name"
