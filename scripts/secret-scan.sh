#!/usr/bin/env bash
# Secret scanning with detect-secrets (PyPI), offline. Findings already reviewed are recorded in
# .secrets.baseline (test fixtures, demo and example passwords); anything new fails the scan.
#   scripts/secret-scan.sh [FILE...]   scan the files given, or every tracked and untracked
#                                      (not ignored) file of the tree: exit 1 on a new finding.
#                                      In CI (CI=true) tracked files only: in a fresh clone the
#                                      untracked ones are the run's own outputs.
#   scripts/secret-scan.sh --update    rewrite the baseline (same files) after reviewing what
#                                      the scan reported
# The built frontend (app/semantik/webui/static) is excluded: it is minified from app/frontend,
# which is scanned, and its hashes change on every build.
# The report names the file, line and kind of secret, never the value.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SECRET_SCAN_BIN:-.venv/bin}
baseline=.secrets.baseline
exclude='^app/semantik/webui/static/'

update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  untracked=(--others --exclude-standard)
  [ "${CI:-}" != true ] || untracked=()
  mapfile -d '' files < <(git ls-files -z --cached "${untracked[@]}")
  existing=()  # a tracked file deleted in the work tree is not scanned
  for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done
  files=("${existing[@]}")
fi

if [ "$update" = 1 ]; then
  # Keeps the audit marks of entries still present (detect-secrets merges with the old baseline).
  if [ -f "$baseline" ]; then
    "$bin/detect-secrets" scan --baseline "$baseline" "${files[@]}"
  else
    "$bin/detect-secrets" scan --exclude-files "$exclude" "${files[@]}" >"$baseline"
  fi
  echo "secret-scan: $baseline updated; review it (detect-secrets audit $baseline), then" \
       "git add $baseline (the scan refuses an unstaged baseline)"
  exit 0
fi
rc=0
"$bin/detect-secrets-hook" --baseline "$baseline" "${files[@]}" || rc=$?
if [ "$rc" = 0 ]; then
  echo "secret-scan: no new secret in ${#files[@]} files"
else
  echo "secret-scan: FAILED: remove the secret, or if it is a test value, mark the line with" \
       "'# pragma: allowlist secret' or run scripts/secret-scan.sh --update and review" >&2
fi
exit "$rc"
