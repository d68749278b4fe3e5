#!/usr/bin/env bash
# Build the molecule test-host images semantik-testhost:<suite> (Debian + systemd).
# Usage: build-testhost-images.sh [suite...]   (default: bookworm trixie)
# Env:   FORCE=1 rebuilds even when the recipe is unchanged;
#        DEBIAN_MIRROR (default http://deb.debian.org/debian); IMAGE_NAME.
# An image is rebuilt only when its recipe hash changes: this script, the
# Dockerfile and the controller's extra CA certificates.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
recipe_dir="$here/testhost"
image_name="${IMAGE_NAME:-semantik-testhost}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ca_dir=/usr/local/share/ca-certificates
# Same list as the Dockerfile's PACKAGES, so a debootstrap base needs no apt run.
packages="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,netbase,ca-certificates,iproute2,procps"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)

log() { printf '[testhost] %s\n' "$*" >&2; }

recipe_hash() {
  local suite="$1"
  {
    echo "$suite $packages"
    cat "${BASH_SOURCE[0]}" "$recipe_dir/Dockerfile"
    find "$ca_dir" -maxdepth 1 -name '*.crt' -type f 2>/dev/null | sort | xargs -r cat
  } | sha256sum | cut -c1-16
}

base_image() {
  # Prints the base image name: pulled debian:<suite>, else a debootstrap import.
  local suite="$1" base="$image_name-base:$suite" rootfs
  if docker image inspect "$base" >/dev/null 2>&1; then
    echo "$base"; return
  fi
  if timeout 60 docker pull -q "debian:$suite" >/dev/null 2>&1; then
    echo "debian:$suite"; return
  fi
  log "$suite: no registry; debootstrap from $mirror"
  command -v debootstrap >/dev/null || { log "debootstrap is not installed"; return 1; }
  rootfs="$(mktemp -d "${TMPDIR:-/tmp}/testhost-$suite.XXXXXX")"
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >&2; then
    log "$suite: debootstrap failed"
    cat "$rootfs/debootstrap/debootstrap.log" >&2 2>/dev/null || true
    rm -rf "$rootfs"; return 1
  fi
  tar -C "$rootfs" --numeric-owner -c . | docker import - "$base" >/dev/null
  rm -rf "$rootfs"
  echo "$base"
}

build() {
  local suite="$1" tag="$image_name:$1" want have base ctx
  want="$(recipe_hash "$suite")"
  have="$(docker image inspect -f '{{ index .Config.Labels "org.semantik.testhost.recipe" }}' \
          "$tag" 2>/dev/null || true)"
  if [ "$want" = "$have" ] && [ "${FORCE:-0}" != 1 ]; then
    log "$tag is current (recipe $want)"; return
  fi
  base="$(base_image "$suite")"
  ctx="$(mktemp -d "${TMPDIR:-/tmp}/testhost-ctx.XXXXXX")"
  cp "$recipe_dir/Dockerfile" "$ctx/"
  mkdir "$ctx/ca-certificates"
  find "$ca_dir" -maxdepth 1 -name '*.crt' -type f -exec cp {} "$ctx/ca-certificates/" \; 2>/dev/null || true
  log "building $tag from $base (recipe $want)"
  docker build -q --build-arg BASE_IMAGE="$base" --build-arg SUITE="$suite" \
    --build-arg RECIPE_HASH="$want" -t "$tag" "$ctx" >/dev/null || { rm -rf "$ctx"; return 1; }
  rm -rf "$ctx"
  log "$tag built"
}

docker info >/dev/null 2>&1 || { log "no Docker daemon reachable"; exit 1; }
for s in "${suites[@]}"; do build "$s"; done
