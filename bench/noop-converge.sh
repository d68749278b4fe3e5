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

# CPU seconds the demo container used so far (cgroup v2 or v1), or empty. With the controller's CPU
# seconds it gives a figure that a busy machine stretches far less than the wall-clock time.
host_cpu() {
  local id f
  id=$(docker inspect -f '{{.Id}}' "$DEMO_NAME")
  for f in /sys/fs/cgroup/system.slice/docker-"$id".scope/cpu.stat /sys/fs/cgroup/docker/"$id"/cpu.stat; do
    [[ -r $f ]] && { awk '$1 == "usage_usec" {printf "%.3f\n", $2 / 1e6}' "$f"; return; }
  done
  f=/sys/fs/cgroup/cpuacct/docker/$id/cpuacct.usage
  [[ -r $f ]] && awk '{printf "%.3f\n", $1 / 1e9}' "$f"
  return 0
}

# run NAME PLAYBOOK: "NAME: <wall> s, changed=<n>" from the demo host's play recap, then the CPU
# seconds of the controller (ansible and its workers) and of the demo container.
run() {
  local name=$1 playbook=$2 log="$LOGS/noop-$1.log" start end rc=0 cpu0 cpu1
  cpu0=$(host_cpu)
  start=$(date +%s.%N)
  /usr/bin/time -o "$log.cpu" -f '%U %S' ansible-playbook -i "$INVENTORY" "$playbook" >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  cpu1=$(host_cpu)
  if (( rc != 0 )); then tail -n 40 "$log"; echo "noop: $playbook failed (rc $rc), log: $log" >&2; exit 1; fi
  local changed tasks
  changed=$(sed -n 's/^semantik-demo *: .*changed=\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  tasks=$(grep -c '^TASK \[' "$log" || true)
  printf '%-14s %6.1f s wall   changed=%s   tasks=%s   CPU: controller %s s, host %s s   (%s)\n' "$name:" \
    "$(awk "BEGIN{print $end - $start}")" "$changed" "$tasks" "$(tail -n 1 "$log.cpu" | awk '{print $1 + $2}')" \
    "$( [[ -n $cpu0 && -n $cpu1 ]] && awk "BEGIN{printf \"%.1f\", $cpu1 - $cpu0}" || echo '?')" "$log"
}

idle0=$(host_cpu); sleep 20; idle1=$(host_cpu)
echo "noop: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); the demo's services idle use" \
  "$( [[ -n $idle0 && -n $idle1 ]] && awk "BEGIN{printf \"%.2f\", ($idle1 - $idle0) / 20}" || echo '?') CPU s/s (in 'host')"
run site-second site.yml
run upgrade-same playbooks/upgrade.yml
