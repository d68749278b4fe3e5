#!/usr/bin/env bash
# Build the Semantik image (make docker-build: layer cache, so unchanged inputs rebuild nothing) and
# save it for hosts without a registry: the semantik role (semantik_runtime: compose) copies the
# archive and runs `docker load` when the image id differs from the host's.
#   app/docker/save-image.sh        -> build/images/semantik-cpu.tar
# Env: IMAGE (semantik:cpu), IMAGE_ARCHIVE, BUILD=0 to save the existing image without building.
# The archive is rewritten only when the image id changed (a save of 1.6 GB takes ~20 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
image=${IMAGE:-semantik:cpu}
archive=${IMAGE_ARCHIVE:-build/images/semantik-cpu.tar}

[ "${BUILD:-1}" = 0 ] || make --no-print-directory docker-build >&2
id=$(docker image inspect --format '{{.Id}}' "$image")
if [ -f "$archive" ]; then
  # docker save names the config blob "<hex>.json" (Docker < 25) or "blobs/sha256/<hex>" (OCI).
  saved=$(tar -xOf "$archive" manifest.json | python3 -c \
    'import json, os, sys; print("sha256:" + os.path.basename(json.load(sys.stdin)[0]["Config"]).removesuffix(".json"))')
  if [ "$saved" = "$id" ]; then
    echo "$archive is current ($id)"; exit 0
  fi
fi
mkdir -p "$(dirname "$archive")"
docker save --output "$archive.tmp" "$image"
mv "$archive.tmp" "$archive"
echo "wrote $archive ($id, $(du -h "$archive" | cut -f1))"
