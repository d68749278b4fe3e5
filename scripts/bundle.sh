#!/usr/bin/env bash
# The air-gap bundle: everything a site needs from outside, in one directory with a manifest.
#   scripts/bundle.sh            build build/bundle/ (docs/airgap.md)
#   scripts/bundle.sh --verify [DIR]
#                                check DIR (default build/bundle) against its MANIFEST.sha256: every
#                                file listed and unchanged, nothing unlisted; and the lock resolves
#                                offline with --require-hashes (pip --dry-run in a scratch venv)
# Layout:
#   wheels/            the app wheel, every pinned dependency and the model package wheel
#                      (scripts/build-wheelhouse.sh; CPU torch unless TORCH_VARIANT=cuda)
#   requirements.lock  name==version --hash=sha256:... for each wheel (scripts/bundle_lock.py):
#                      pip install --require-hashes --no-index --find-links wheels -r requirements.lock
#   apt/<suite>/       flat apt repository of the roles' Debian packages with their dependencies
#                      (scripts/bundle-apt.sh; `deb [trusted=yes] file:/…/apt/<suite> ./`)
#   images/            semantik-cpu.tar when built (make docker-save)
#   qdrant/            QDRANT_ARTIFACT when given (checked against QDRANT_ARTIFACT_SHA256 if set)
#   sbom/              the CycloneDX SBOMs of build/sbom when made (make sbom)
#   MANIFEST.sha256    sha256sum of every file above (`sha256sum -c MANIFEST.sha256`)
# Env: BUNDLE_DIR (build/bundle), BUNDLE_SUITES ("bookworm trixie"), BUNDLE_APT=0 to leave the
#      apt repositories out, BUNDLE_APT_FROM (another bundle's apt/ directory, hard-linked as it
#      is), IMAGE_ARCHIVE (build/images/semantik-cpu.tar; empty: none), BUNDLE_WHEELS (a directory of wheels to take as they are instead of
#      building build/wheelhouse), PYTHON (.venv/bin/python: runs pip and the helpers).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHON=${PYTHON:-$PWD/.venv/bin/python}

verify() {  # verify DIR
  local dir=$1 listed present scratch
  [ -f "$dir/MANIFEST.sha256" ] || { echo "bundle: $dir/MANIFEST.sha256 missing" >&2; return 1; }
  (cd "$dir" && sha256sum --quiet --strict -c MANIFEST.sha256) \
    || { echo "bundle: $dir: files differ from MANIFEST.sha256" >&2; return 1; }
  listed=$(cut -d' ' -f3- "$dir/MANIFEST.sha256" | sort)
  present=$(cd "$dir" && find . -type f ! -name MANIFEST.sha256 | sed 's|^\./||' | sort)
  if [ "$listed" != "$present" ]; then
    echo "bundle: $dir: files not in MANIFEST.sha256:" >&2
    comm -13 <(echo "$listed") <(echo "$present") >&2
    return 1
  fi
  scratch=$(mktemp -d); trap 'rm -rf "$scratch"' RETURN
  "$PYTHON" -m venv --without-pip "$scratch/venv"
  # The scratch venv has no pip: the controller's pip resolves for it (--python).
  "$PYTHON" -m pip --disable-pip-version-check --python "$scratch/venv/bin/python" install \
    --dry-run --quiet --require-hashes --no-index --find-links "$dir/wheels" \
    -r "$dir/requirements.lock" \
    || { echo "bundle: $dir: requirements.lock does not resolve from wheels/ with its hashes" >&2
         return 1; }
  echo "bundle: $dir verified: $(wc -l <"$dir/MANIFEST.sha256") files match MANIFEST.sha256;" \
       "requirements.lock resolves offline with --require-hashes"
}

if [ "${1:-}" = "--verify" ]; then verify "${2:-${BUNDLE_DIR:-build/bundle}}"; exit; fi

start=$(date +%s)
out=${BUNDLE_DIR:-build/bundle}
stage="$out.tmp"
rm -rf "$stage"; mkdir -p "$stage/wheels"

# Wheels: hard links where possible (the wheelhouse is ~400 MB), copies otherwise.
if [ -n "${BUNDLE_WHEELS:-}" ]; then wheels=$BUNDLE_WHEELS
else scripts/build-wheelhouse.sh; wheels=${WHEELHOUSE_DIR:-build/wheelhouse}; fi
cp -l "$wheels"/*.whl "$stage/wheels/" 2>/dev/null || cp "$wheels"/*.whl "$stage/wheels/"
"$PYTHON" scripts/bundle_lock.py "$stage/wheels" >"$stage/requirements.lock"
echo "bundle: wheels: $(ls "$stage/wheels" | wc -l) wheels, hash-pinned in requirements.lock"

if [ -n "${BUNDLE_APT_FROM:-}" ]; then
  # Another bundle's apt/ (scripts/build-next-bundle.sh): hard links, nothing fetched.
  cp -a -l "$BUNDLE_APT_FROM" "$stage/apt"
  echo "bundle: apt repositories from $BUNDLE_APT_FROM"
elif [ "${BUNDLE_APT:-1}" = 1 ]; then
  for suite in ${BUNDLE_SUITES:-bookworm trixie}; do
    scripts/bundle-apt.sh "$stage/apt/$suite" "$suite"
  done
else
  echo "bundle: apt repositories left out (BUNDLE_APT=0)"
fi

image=${IMAGE_ARCHIVE-build/images/semantik-cpu.tar}  # IMAGE_ARCHIVE= (empty): no image
if [ -f "$image" ]; then
  mkdir -p "$stage/images"
  cp -l "$image" "$stage/images/" 2>/dev/null || cp "$image" "$stage/images/"
  echo "bundle: image: $(basename "$image")"
elif [ -z "$image" ]; then
  echo "bundle: image: none (IMAGE_ARCHIVE empty)"
else
  echo "bundle: image: none ($image not built: make docker-save); compose hosts need it"
fi

if [ -n "${QDRANT_ARTIFACT:-}" ]; then
  if [ -n "${QDRANT_ARTIFACT_SHA256:-}" ]; then
    echo "$QDRANT_ARTIFACT_SHA256  $QDRANT_ARTIFACT" | sha256sum --quiet --strict -c \
      || { echo "bundle: QDRANT_ARTIFACT does not match QDRANT_ARTIFACT_SHA256" >&2; exit 1; }
  fi
  mkdir -p "$stage/qdrant"; cp "$QDRANT_ARTIFACT" "$stage/qdrant/"
  echo "bundle: qdrant: $(basename "$QDRANT_ARTIFACT")"
else
  echo "bundle: qdrant: none (set QDRANT_ARTIFACT=/path/qdrant-….tar.gz; none can be obtained here)"
fi

if compgen -G "build/sbom/*.cdx.json" >/dev/null; then
  mkdir -p "$stage/sbom"; cp build/sbom/*.cdx.json "$stage/sbom/"
fi

(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | xargs -d '\n' sha256sum) \
  >"$out.manifest.tmp"
mv "$out.manifest.tmp" "$stage/MANIFEST.sha256"
rm -rf "$out"; mv "$stage" "$out"
echo "bundle: wrote $out: $(wc -l <"$out/MANIFEST.sha256") files, $(du -sh "$out" | cut -f1)," \
     "in $(( $(date +%s) - start ))s"
