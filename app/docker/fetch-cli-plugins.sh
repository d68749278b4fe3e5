#!/usr/bin/env bash
# Put Docker Compose v2 and buildx where the docker CLI finds them (~/.docker/cli-plugins) on a
# controller whose distribution lacks them (Debian 12 has only compose v1, no buildx): the plugins
# come from Debian 13's docker-compose and docker-buildx packages, installed in a throwaway trixie
# container (apt works where no registry does). Plugins already present are kept.
#   app/docker/fetch-cli-plugins.sh [IMAGE]   (default semantik-testhost:trixie, from `make images`)
set -euo pipefail
image=${1:-semantik-testhost:trixie}
dest=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
mkdir -p "$dest"
fetch() {  # fetch PLUGIN PACKAGE
  docker run --rm --entrypoint /bin/sh "$image" -c \
    "apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -qq -y --no-install-recommends $2 >/dev/null &&
     cat /usr/libexec/docker/cli-plugins/docker-$1" >"$dest/docker-$1.tmp"
  chmod 0755 "$dest/docker-$1.tmp" && mv "$dest/docker-$1.tmp" "$dest/docker-$1"
}
docker compose version 2>/dev/null | grep -q 'v\?2\.' || fetch compose docker-compose
docker buildx version >/dev/null 2>&1 || fetch buildx docker-buildx
docker compose version
docker buildx version
