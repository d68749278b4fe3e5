#!/usr/bin/env bash
# The "nothing to do" figures on the demo host (inventories/demo): site.yml converged once (by
# scripts/demo.sh, which starts the container when it is not running), then site.yml again — its
# time and changed count — and playbooks/upgrade.yml to the release that runs already.
#   bench/noop-converge.sh            DEMO_NAME / DEMO_PORT as for `make demo` (a second demo beside
#                                     the first takes another name and port)
#   NOOP_SKIP_FIRST=1 bench/noop-converge.sh   the demo is converged already: only the timed runs
# Full logs (profile_tasks: the slowest tasks last) in build/bench/noop-*.log.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export DEMO_NAME=${DEMO_NAME:-semantik-demo} DEMO_PORT=${DEMO_PORT:-8443}
INVENTORY=inventories/demo
LOGS=build/bench
mkdir -p "$LOGS"

if [[ "${NOOP_SKIP_FIRST:-0}" != 1 ]]; then
  echo "noop: first converge (scripts/demo.sh)"
  scripts/demo.sh >"$LOGS/noop-first.log" 2>&1 || { tail -n 40 "$LOGS/noop-first.log"; exit 1; }
fi

# run NAME PLAYBOOK: prints "NAME: <seconds> s, changed=<n>" from the play recap of the demo host.
run() {
  local name=$1 playbook=$2 log="$LOGS/noop-$1.log" start end rc=0
  start=$(date +%s.%N)
  ansible-playbook -i "$INVENTORY" "$playbook" >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  if (( rc != 0 )); then tail -n 40 "$log"; echo "noop: $playbook failed (rc $rc), log: $log" >&2; exit 1; fi
  local changed tasks
  changed=$(sed -n 's/^semantik-demo *: .*changed=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  tasks=$(grep -c '^TASK \[' "$log" || true)
  printf '%-22s %6.1f s   changed=%s   tasks=%s   (%s)\n' "$name:" "$(awk "BEGIN{print $end - $start}")" \
    "$changed" "$tasks" "$log"
}

echo "noop: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
run site-second site.yml
run upgrade-same playbooks/upgrade.yml
