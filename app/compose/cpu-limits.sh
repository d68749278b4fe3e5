#!/bin/sh
# CPU limits that fit this host, for `make docker-up`: prints `export NAME=VALUE` lines for
# VECPIPE_CPUS, WEBUI_CPUS and QDRANT_CPUS. A value from the environment or from .env (next to
# this script) is kept but must not exceed the host's CPUs (Docker refuses the whole project then,
# with "Range of CPUs is from 0.01 to N"); an unset one defaults to what the host has
# (vecpipe: all CPUs; webui and qdrant: up to 2).
# usage: eval "$(sh cpu-limits.sh)"   (SEMANTIK_HOST_CPUS overrides the detected count, for tests)
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
cpus="${SEMANTIK_HOST_CPUS:-$(nproc)}"
small=$(( cpus < 2 ? cpus : 2 ))
from_env_file() {
  [ -f "$here/.env" ] || return 0
  sed -n "s/^$1=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}[[:space:]]*$/\1/p" "$here/.env" | tail -n 1
}
status=0
for spec in "VECPIPE_CPUS:$cpus" "WEBUI_CPUS:$small" "QDRANT_CPUS:$small"; do
  name="${spec%%:*}"
  default="${spec#*:}"
  eval "value=\${$name:-}"
  [ -n "$value" ] || value="$(from_env_file "$name")"
  [ -n "$value" ] || value="$default"
  if ! awk -v v="$value" -v max="$cpus" 'BEGIN { exit !(v ~ /^[0-9]*\.?[0-9]+$/ && v >= 0.01 && v <= max) }'; then
    echo "error: $name=$value does not fit this host: it has $cpus CPUs (set $name between 0.01 and $cpus in app/compose/.env)" >&2
    status=1
    continue
  fi
  echo "export $name=$value"
done
exit "$status"
