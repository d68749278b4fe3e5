#!/usr/bin/env bash
# A local apt repository of the Debian packages the site's roles install, with their dependencies,
# for hosts with no route to a mirror.
#   scripts/bundle-apt.sh OUT SUITE [PACKAGE...]
# Packages default to the roles' own lists (scripts/bundle_packages.py reads them from roles/).
# Runs in a throwaway container of semantik-testhost:SUITE (make images): `apt-get install
# --download-only` there fetches exactly what such a host lacks (a minimal Debian with systemd
# and python3, like a netinst host), then apt-ftparchive writes a flat repository into OUT:
#   OUT/*.deb  OUT/Packages(.gz)  OUT/Release
# Hosts use it as `deb [trusted=yes] file:/PATH ./`: unsigned on purpose; the files are checked
# on the controller against the bundle manifest (sha256) and reach the host over SSH only.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bundle-apt.sh OUT SUITE [PACKAGE...]}
suite=${2:?usage: bundle-apt.sh OUT SUITE [PACKAGE...]}
shift 2
image=${BUNDLE_APT_IMAGE:-semantik-testhost:$suite}
if [ $# -gt 0 ]; then packages=("$@")
else mapfile -t packages < <("${PYTHON:-.venv/bin/python}" scripts/bundle_packages.py "$suite"); fi

docker image inspect "$image" >/dev/null 2>&1 \
  || { echo "bundle-apt: image $image missing (make images)" >&2; exit 3; }
rm -rf "$out"; mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "bundle-apt: $suite: ${packages[*]}"
# The packages go to /out via apt's own cache directory; apt-utils (apt-ftparchive) is installed
# only after the download so that it does not change what counts as missing.
docker run --rm -v "$out:/out" -e DEBIAN_FRONTEND=noninteractive --entrypoint /bin/bash "$image" -c '
  set -euo pipefail
  apt-get update -qq
  apt-get clean
  apt-get install -qq -y --download-only --no-install-recommends "$@" >/dev/null
  cp /var/cache/apt/archives/*.deb /out/ 2>/dev/null || true
  apt-get install -qq -y --no-install-recommends apt-utils >/dev/null 2>&1
  cd /out
  apt-ftparchive packages . >Packages
  gzip -9n -k Packages
  apt-ftparchive -o APT::FTPArchive::Release::Suite=semantik-bundle release . >/tmp/Release
  mv /tmp/Release Release
  chmod -R a+rX /out
' bundle-apt "${packages[@]}"
count=$(find "$out" -name '*.deb' | wc -l)
echo "bundle-apt: $suite: $count packages, $(du -sh "$out" | cut -f1) in $out"
