#!/usr/bin/env bash
# Build the wheelhouse the semantik role installs from: the app wheel plus every pinned dependency
# (extras vecpipe and demo-model), packed into one tar so the role copies a single file.
#
#   scripts/build-wheelhouse.sh                 # CPU torch (the default; hosts without a GPU)
#   TORCH_VARIANT=cuda TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 scripts/build-wheelhouse.sh
#
# Dependencies are fetched again only when pyproject.toml (or the variant) changes; the app wheel is
# rebuilt only when a file under app/semantik changes. Unchanged inputs leave the tar byte-identical,
# which keeps the role's copy (and so a second converge) unchanged.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${WHEELHOUSE_DIR:-build/wheelhouse}
ARCHIVE=${WHEELHOUSE_ARCHIVE:-build/wheelhouse.tar}
VARIANT=${TORCH_VARIANT:-cpu}
EXTRAS=${WHEELHOUSE_EXTRAS:-vecpipe,demo-model}
# The project's venv when it exists: building the app wheel without build isolation needs a
# setuptools with bdist_wheel built in (>= 70.1), which a bare system python3 may lack.
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
PIP=("$PYTHON" -m pip --disable-pip-version-check)

case "$VARIANT" in
  cpu)  torch_pin="torch==2.13.0+cpu"; torch_opts=() ;;
  cuda) # The CUDA build is not on PyPI's default index under this version; air-gapped sites
        # pass their mirror of the PyTorch index (not reachable from this workplace).
        : "${TORCH_INDEX_URL:?TORCH_VARIANT=cuda needs TORCH_INDEX_URL (a PyTorch CUDA wheel index)}"
        torch_pin="torch==2.13.0"; torch_opts=(--extra-index-url "$TORCH_INDEX_URL") ;;
  *) echo "TORCH_VARIANT must be cpu or cuda, not '$VARIANT'" >&2; exit 2 ;;
esac

mkdir -p "$OUT"
deps_key=$( (cat pyproject.toml; echo "$VARIANT $EXTRAS") | sha256sum | cut -d' ' -f1)
app_key=$( (cat pyproject.toml; find app/semantik -type f ! -path '*/__pycache__/*' ! -name '*.pyc' \
            -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)
changed=0

if [[ "$(cat "$OUT/.deps.key" 2>/dev/null)" != "$deps_key" ]]; then
  echo "wheelhouse: fetching pinned dependencies (extras: $EXTRAS, torch: $VARIANT)"
  find "$OUT" -maxdepth 1 -name '*.whl' -delete
  constraints=$(mktemp); trap 'rm -f "$constraints"' EXIT
  echo "$torch_pin" >"$constraints"
  # Only dependencies here: the app wheel is built below, on its own key.
  "${PIP[@]}" wheel --quiet --wheel-dir "$OUT" --constraint "$constraints" "${torch_opts[@]}" \
    ".[$EXTRAS]" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  rm -f "$OUT"/semantik-*.whl
  echo "$deps_key" >"$OUT/.deps.key"
  changed=1
fi

if [[ "$(cat "$OUT/.app.key" 2>/dev/null)" != "$app_key" ]] || ! ls "$OUT"/semantik-*.whl >/dev/null 2>&1; then
  echo "wheelhouse: building the semantik wheel"
  rm -f "$OUT"/semantik-*.whl
  # A fixed timestamp makes the wheel depend on the sources only.
  SOURCE_DATE_EPOCH=315532800 "${PIP[@]}" wheel --quiet --no-deps --no-build-isolation \
    --wheel-dir "$OUT" .
  rm -rf build/lib build/bdist.* app/*.egg-info/SOURCES.txt.tmp
  echo "$app_key" >"$OUT/.app.key"
  changed=1
fi

if [[ $changed == 1 || ! -f "$ARCHIVE" ]]; then
  # Sorted names, fixed owner and mtime: the same wheels always give the same tar.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@315532800' \
      -C "$OUT" -cf "$ARCHIVE.tmp" --exclude='.*.key' .
  mv "$ARCHIVE.tmp" "$ARCHIVE"
  echo "wheelhouse: wrote $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1), $(ls "$OUT"/*.whl | wc -l) wheels)"
else
  echo "wheelhouse: $ARCHIVE is up to date"
fi
