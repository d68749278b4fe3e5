#!/usr/bin/env bash
# A next release as an air-gapped site receives it: a new bundle, the same as BASE_BUNDLE
# (build/bundle) but for the semantik wheel, rebuilt from this tree with another version, and so
# its own requirements.lock and MANIFEST.sha256; checked with `scripts/bundle.sh --verify`. An
# upgrade takes it with `-e semantik_bundle_dir=DIR` (tests/molecule/default/test_upgrade.py).
#   scripts/build-next-bundle.sh 0.1.1 build/bundle-next
#   BROKEN=vecpipe scripts/build-next-bundle.sh 0.1.2 build/bundle-broken   (vecpipe exits at start)
#   MIGRATION=1 scripts/build-next-bundle.sh 0.1.1 build/bundle-next   (one more database migration)
# BROKEN and MIGRATION: as for scripts/build-next-wheelhouse.sh.
# The other wheels and the apt repositories are hard links to the base bundle's files (no copy,
# nothing fetched). No image: the base's image holds the base's app (a compose site's next
# bundle needs `make docker-save` of the new tree).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:?usage: build-next-bundle.sh VERSION OUT_DIR}
OUT=${2:?usage: build-next-bundle.sh VERSION OUT_DIR}
BASE=${BASE_BUNDLE:-build/bundle}
[ -f "$BASE/requirements.lock" ] || { echo "no bundle in $BASE: run make bundle first" >&2; exit 2; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# The app wheel at VERSION (BROKEN and MIGRATION pass through); its dependencies are the base bundle's wheels.
WHEELHOUSE_DIR=$BASE/wheels scripts/build-next-wheelhouse.sh "$VERSION" "$work/wheelhouse.tar"
mkdir "$work/wheels"
tar -xf "$work/wheelhouse.tar" -C "$work/wheels" --wildcards '*semantik-*.whl'
rm "$work/wheelhouse.tar"
for whl in "$BASE"/wheels/*.whl; do
  case "$(basename "$whl")" in semantik-*) ;; *) ln "$whl" "$work/wheels/" ;; esac
done
apt_from=""; [ -d "$BASE/apt" ] && apt_from=$BASE/apt
qdrant=""; [ -d "$BASE/qdrant" ] && qdrant=$(find "$BASE/qdrant" -type f | head -n 1)
BUNDLE_DIR=$OUT BUNDLE_WHEELS=$work/wheels BUNDLE_APT_FROM=$apt_from BUNDLE_APT=0 IMAGE_ARCHIVE= \
  QDRANT_ARTIFACT=$qdrant QDRANT_ARTIFACT_SHA256= scripts/bundle.sh
scripts/bundle.sh --verify "$OUT"
