"""`make docker-up` on a small host: CPU limits that fit it, or a refusal naming the variable.

Docker refuses a whole compose project whose `cpus` limit exceeds the host's CPUs ("Range of CPUs
is from 0.01 to 2.00"); the example used to default vecpipe to 4. app/compose/cpu-limits.sh
decides the limits before compose starts; here it runs for a 2-CPU host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

COMPOSE = Path(__file__).resolve().parents[1] / "app" / "compose"


def limits(tmp_path: Path, env_file: str | None = None, **env: str):
    shutil.copy(COMPOSE / "cpu-limits.sh", tmp_path / "cpu-limits.sh")
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file)
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_CPUS")}
    return subprocess.run(
        ["sh", str(tmp_path / "cpu-limits.sh")],
        env={**clean, "SEMANTIK_HOST_CPUS": "2", **env},
        capture_output=True, text=True, timeout=30,
    )


def test_unset_limits_fit_the_host(tmp_path):
    out = limits(tmp_path, (COMPOSE / ".env.docker.example").read_text())
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == [
        "export VECPIPE_CPUS=2", "export WEBUI_CPUS=2", "export QDRANT_CPUS=2",
    ]
    one = limits(tmp_path, SEMANTIK_HOST_CPUS="1")
    assert "export VECPIPE_CPUS=1" in one.stdout and "export WEBUI_CPUS=1" in one.stdout


def test_a_limit_above_the_host_is_refused_by_name(tmp_path):
    out = limits(tmp_path, "VECPIPE_CPUS=4\nWEBUI_CPUS=1.5\n")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "error: VECPIPE_CPUS=4 does not fit this host: it has 2 CPUs "
        "(set VECPIPE_CPUS between 0.01 and 2 in app/compose/.env)"
    )
    assert "export WEBUI_CPUS=1.5" in out.stdout


def test_the_environment_wins_over_the_env_file(tmp_path):
    out = limits(tmp_path, "VECPIPE_CPUS=4\n", VECPIPE_CPUS="0.5")
    assert out.returncode == 0, out.stderr
    assert "export VECPIPE_CPUS=0.5" in out.stdout


def test_compose_defaults_fit_a_two_cpu_host():
    text = (COMPOSE / "docker-compose.yml").read_text()
    for name in ("VECPIPE_CPUS", "WEBUI_CPUS", "QDRANT_CPUS"):
        assert f"${{{name}:-2}}" in text, name
