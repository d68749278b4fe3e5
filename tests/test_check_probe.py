"""playbooks/files/check_probe.py, the probe playbooks/check.yml runs on each host, run here as a
process on real files: what it reports and which thresholds make a problem. The whole playbook
against a converged site: tests/molecule/default/test_check.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = REPO / "playbooks" / "files" / "check_probe.py"


def probe(cfg: dict, path: str = "") -> dict:
    base = {"disk_paths": [], "disk_min_free_percent": 0}
    env = {**os.environ, "PATH": f"{path}:{os.environ['PATH']}" if path else os.environ["PATH"]}
    out = subprocess.run(
        [sys.executable, str(PROBE), json.dumps({**base, **cfg})],
        capture_output=True, text=True, check=True, env=env, timeout=60,
    )  # fmt: skip
    return json.loads(out.stdout)


def backup_dir(tmp_path: Path, age_hours: float | None, result: str = "ok") -> dict:
    job = tmp_path / "cron-job"
    job.write_text("job\n")
    status = {"last_result": result, "last_error": "disk full" if result == "failed" else ""}
    if age_hours is not None:
        status["last_success"] = time.time() - age_hours * 3600
    (tmp_path / "status.json").write_text(json.dumps(status))
    return {"dir": str(tmp_path), "job": str(job), "max_age_hours": 26}


def test_recent_backup_is_fine(tmp_path):
    out = probe({"backup": backup_dir(tmp_path, 3)})
    assert out == {"facts": ["backup 3h ago"], "problems": []}


def test_old_backup_is_named_with_its_threshold(tmp_path):
    out = probe({"backup": backup_dir(tmp_path, 49)})
    assert out["problems"] == ["last backup 2.0d old (> 26h, check_backup_max_age_hours)"]


def test_failed_last_run_is_named(tmp_path):
    out = probe({"backup": backup_dir(tmp_path, 3, result="failed")})
    assert out["problems"] == ["last backup run failed: disk full"]


def test_no_backup_yet_is_fine_while_the_job_is_young_then_fails(tmp_path):
    cfg = backup_dir(tmp_path, None)
    assert probe({"backup": cfg})["problems"] == []
    old = time.time() - 30 * 3600
    os.utime(cfg["job"], (old, old))
    assert probe({"backup": cfg})["problems"] == [
        "no successful backup, the job was installed 30h ago"
    ]


def test_restore_drill_missing_is_reported_not_failed_unless_a_threshold_says(tmp_path):
    drill = {"file": str(tmp_path / "drill.prom"), "metric": "drill_ok_ts", "max_age_hours": 0}
    assert probe({"drill": drill}) == {"facts": ["drill none yet"], "problems": []}
    out = probe({"drill": {**drill, "max_age_hours": 192}})
    assert out["problems"] and "check_restore_drill_max_age_hours" in out["problems"][0]


def test_restore_drill_age_comes_from_its_metric(tmp_path):
    metrics = tmp_path / "drill.prom"
    metrics.write_text(f"# TYPE drill_ok_ts gauge\ndrill_ok_ts {time.time() - 10 * 86400}\n")
    drill = {"file": str(metrics), "metric": "drill_ok_ts", "max_age_hours": 192}
    out = probe({"drill": drill})
    assert out["facts"] == ["drill 10.0d ago"]
    assert out["problems"] == [
        "last restore drill 10.0d old (> 192h, check_restore_drill_max_age_hours)"
    ]


def test_disk_below_the_threshold_is_named(tmp_path):
    assert probe({"disk_paths": [str(tmp_path)], "disk_min_free_percent": 0})["problems"] == []
    out = probe({"disk_paths": [str(tmp_path), "/nonexistent"], "disk_min_free_percent": 101})
    assert len(out["problems"]) == 1
    assert out["problems"][0].startswith(f"disk {tmp_path} ")
    assert out["problems"][0].endswith("(< 101%, check_disk_min_free_percent)")


def test_gpu_out_of_step_or_invisible_is_named(tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho '570.1.2, NVIDIA H200'\n")
    smi.chmod(0o755)
    out = probe({"gpu": True}, path=str(tmp_path))
    assert out["facts"] == ["gpu 1x NVIDIA H200 driver 570.1.2"]
    if not Path("/sys/module/nvidia/version").exists():
        assert out["problems"] == ["GPU driver out of step (library 570.1.2, module not loaded)"]
    smi.write_text("#!/bin/sh\necho 'Failed to initialize NVML: Driver/library version mismatch'\n"
                   "exit 18\n")  # fmt: skip
    out = probe({"gpu": True}, path=str(tmp_path))
    assert out["problems"] == [
        "GPU not visible (nvidia-smi exit 18: "
        "Failed to initialize NVML: Driver/library version mismatch)"
    ]


def test_unreachable_readiness_is_named():
    out = probe({"ready": {"webui": "http://127.0.0.1:9/readyz"}})
    assert len(out["problems"]) == 1
    assert out["problems"][0].startswith("webui not ready (http://127.0.0.1:9/readyz: ")
