#!/usr/bin/env bash
# A second wheelhouse of this tree with another version, for upgrade tests (tests/molecule/default/
# test_upgrade.py): the semantik wheel is rebuilt from a copy of the tree whose pyproject.toml says
# VERSION; every dependency wheel is the one in build/wheelhouse (`make wheelhouse` first).
#   scripts/build-next-wheelhouse.sh 0.1.1 build/wheelhouse-next.tar
#   BROKEN=vecpipe scripts/build-next-wheelhouse.sh 0.1.2 build/wheelhouse-broken.tar
# BROKEN=vecpipe: `semantik serve vecpipe` of that release exits at once (its vecpipe never becomes
# ready), to show that an upgrade rolls back by itself. BROKEN=webui: `semantik serve webui`
# migrates the database (as webui does when it starts), then exits; BROKEN=vecpipe,webui: both.
# MIGRATION=N: the release's webui.db MIGRATIONS get N more, harmless ones (a table each), so an
# upgrade to it crosses a schema change (the copy of the tree is patched, never the source).
set -euo pipefail

cd "$(dirname "$0")/.."
VERSION=${1:?usage: build-next-wheelhouse.sh VERSION ARCHIVE}
ARCHIVE=${2:?usage: build-next-wheelhouse.sh VERSION ARCHIVE}
BASE=${WHEELHOUSE_DIR:-build/wheelhouse}
PYTHON=${PYTHON:-.venv/bin/python}
[[ "$PYTHON" == /* ]] || PYTHON=$PWD/$PYTHON
ls "$BASE"/*.whl >/dev/null 2>&1 || { echo "no wheels in $BASE: run make wheelhouse first" >&2; exit 2; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/wheels"
git ls-files -z | xargs -0 cp -a --parents -t "$work/src"
# The built frontend is not tracked; the wheel carries it when it is there.
[[ -d app/semantik/webui/static ]] && cp -a app/semantik/webui/static "$work/src/app/semantik/webui/"
sed -i "s/^version = \".*\"/version = \"$VERSION\"/" "$work/src/pyproject.toml"
for part in ${BROKEN:+${BROKEN//,/ }}; do
  case "$part" in vecpipe|webui) ;; *) echo "BROKEN=$BROKEN: vecpipe, webui or both" >&2; exit 2 ;; esac
done
if [[ -n "${BROKEN:-}" ]]; then
  "$PYTHON" - "$work/src/app/semantik/cli.py" "$BROKEN" <<'PY'
import sys
path, broken = sys.argv[1], sys.argv[2].split(",")
src = open(path).read()
marker = "def cmd_serve(args: argparse.Namespace) -> int:\n"
assert marker in src
patch = ""
if "vecpipe" in broken:
    patch += ("    if args.service == 'vecpipe':\n"
              "        sys.exit('vecpipe of this release is broken on purpose (test release)')\n")
if "webui" in broken:
    patch += ("    if args.service == 'webui':\n"
              "        from semantik.webui.db import open_database\n"
              "        open_database(_settings().database_path).close()\n"
              "        sys.exit('webui of this release migrated the database, then broke on purpose'\n"
              "                 ' (test release)')\n")
src = src.replace(marker, marker + patch, 1)
open(path, "w").write(src)
PY
fi
if [[ "${MIGRATION:-0}" != 0 ]]; then
  "$PYTHON" - "$work/src/app/semantik/webui/db.py" "$MIGRATION" <<'PY'
import sys
path, count = sys.argv[1], int(sys.argv[2])
src = open(path).read()
marker = "\n\n\ndef connect("
assert marker in src and "\nMIGRATIONS: list[str] = [" in src
extra = "".join(f"MIGRATIONS.append('CREATE TABLE test_release_migration_{n} (id INTEGER PRIMARY KEY)')\n"
                for n in range(1, count + 1))
src = src.replace(marker, "\n# Test release (scripts/build-next-wheelhouse.sh MIGRATION=N)\n" + extra + marker[1:], 1)
open(path, "w").write(src)
PY
fi
(cd "$work/src" && SOURCE_DATE_EPOCH=315532800 "$PYTHON" -m pip --disable-pip-version-check \
   wheel --quiet --no-deps --no-build-isolation --wheel-dir "$work/wheels" .)
for whl in "$BASE"/*.whl; do
  case "$(basename "$whl")" in semantik-*) ;; *) ln "$whl" "$work/wheels/" 2>/dev/null || cp "$whl" "$work/wheels/" ;; esac
done
mkdir -p "$(dirname "$ARCHIVE")"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@315532800' -C "$work/wheels" -cf "$ARCHIVE.tmp" .
mv "$ARCHIVE.tmp" "$ARCHIVE"
echo "wrote $ARCHIVE (semantik $VERSION${BROKEN:+, broken: $BROKEN}${MIGRATION:+, migrations +$MIGRATION})"
