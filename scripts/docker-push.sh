#!/usr/bin/env bash
# Push the image the compose runtime uses to a site registry (role registry, docs/airgap.md):
#   make docker-push REGISTRY=host:port [IMAGE=semantik:cpu] [TAG=cpu]
# tags IMAGE as REGISTRY/<name>:TAG and pushes it. Credentials: REGISTRY_USER and REGISTRY_PASSWORD
# in the environment (a `docker login` into a throwaway DOCKER_CONFIG, so they are not kept on the
# controller), else whatever `docker login REGISTRY` stored before. The controller's dockerd must
# trust the registry's certificate: /etc/docker/certs.d/<host:port>/ca.crt (the registry role's
# registry_certificate_fetch_dest fetches a self-signed one).
set -euo pipefail
registry=${REGISTRY:?usage: make docker-push REGISTRY=host:port [IMAGE=semantik:cpu] [TAG=...]}
image=${IMAGE:-semantik:cpu}
name=${image%%:*}
tag=${TAG:-${image##*:}}
target=$registry/${name##*/}:$tag

if [ -n "${REGISTRY_USER:-}" ] && [ -z "${REGISTRY_PASSWORD:-}" ]; then
  echo "docker-push: REGISTRY_USER without REGISTRY_PASSWORD" >&2; exit 2
fi
docker image inspect "$image" >/dev/null 2>&1 \
  || { echo "docker-push: no image $image here (make docker-build)" >&2; exit 3; }
if [ -n "${REGISTRY_USER:-}" ]; then
  DOCKER_CONFIG=$(mktemp -d)
  export DOCKER_CONFIG
  trap 'rm -rf "$DOCKER_CONFIG"' EXIT
  printf '%s' "$REGISTRY_PASSWORD" \
    | docker login --username "$REGISTRY_USER" --password-stdin "$registry" >/dev/null
fi
docker tag "$image" "$target"
start=$(date +%s)
docker push "$target"
# The extra name only; the image stays under its own.
docker image rm "$target" >/dev/null
echo "docker-push: $image -> $target ($(docker image inspect --format '{{.Id}}' "$image")) in $(( $(date +%s) - start ))s"
