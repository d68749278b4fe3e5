#!/usr/bin/env bash
# CycloneDX SBOMs (JSON), kept as build artifacts under build/sbom/ for an operator to scan with
# the vulnerability feed of their choice (none is reachable from here; see `make audit`):
#   python.cdx.json    the Python environment (.venv): cyclonedx-py (PyPI cyclonedx-bom)
#   frontend.cdx.json  app/frontend from package-lock.json: `npm sbom` (npm >= 10, no extra tool)
#   image.cdx.json     semantik:cpu: its dpkg packages + the venv's distributions (scripts/sbom.py),
#                      skipped with a message when the image is not built
# Every SBOM written is validated against the CycloneDX schema.
#   scripts/sbom.sh [python|frontend|image ...]     (default: all three)
# Env: SBOM_DIR (build/sbom), SBOM_PYTHON (.venv/bin/python: the environment described),
#      SBOM_IMAGE (semantik:cpu), SBOM_IMAGE_REQUIRED=1 to fail instead of skipping the image.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SBOM_DIR:-build/sbom}
python=${SBOM_PYTHON:-.venv/bin/python}
image=${SBOM_IMAGE:-semantik:cpu}
tools=${SBOM_TOOLS:-.venv/bin}     # where cyclonedx-py and the validating python live
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(python frontend image)
mkdir -p "$out"
written=()

for part in "${parts[@]}"; do
  case "$part" in
    python)
      # Validation happens once below, for all files (cyclonedx-py's own costs as much again).
      "$tools/cyclonedx-py" environment --no-validate --pyproject pyproject.toml \
        --output-reproducible -o "$out/python.cdx.json" "$python" 2> >(grep -v 'Validation skipped' >&2)
      written+=("$out/python.cdx.json") ;;
    frontend)
      # --package-lock-only: the lock is the truth (node_modules may hold stray packages).
      (cd app/frontend && npm sbom --sbom-format cyclonedx --package-lock-only) >"$out/frontend.cdx.json.tmp"
      mv "$out/frontend.cdx.json.tmp" "$out/frontend.cdx.json"
      written+=("$out/frontend.cdx.json") ;;
    image)
      rc=0; "$tools/python" scripts/sbom.py image "$image" "$out/image.cdx.json" || rc=$?
      if [ "$rc" = 0 ]; then written+=("$out/image.cdx.json")
      elif [ "$rc" = 3 ] && [ "${SBOM_IMAGE_REQUIRED:-0}" != 1 ]; then rm -f "$out/image.cdx.json"
      else exit "$rc"; fi ;;
    *) echo "sbom.sh: unknown part '$part' (python, frontend, image)" >&2; exit 2 ;;
  esac
done

[ ${#written[@]} -eq 0 ] || "$tools/python" scripts/sbom.py validate "${written[@]}"
