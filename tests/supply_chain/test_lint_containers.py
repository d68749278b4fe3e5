"""scripts/lint-containers.sh: hadolint runs with the repository's settings and fails on a bad
Dockerfile; the repository's own Dockerfiles and compose files pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).parent / "hadolint"


def test_hadolint_fails_on_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian:bookworm-slim\nRUN cd /tmp && sudo apt-get install -y curl\n")
    run = subprocess.run([str(HADOLINT), str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1
    assert "DL3003" in run.stdout  # cd instead of WORKDIR
    assert "DL3004" in run.stdout  # sudo


def test_repository_container_recipes_pass():
    run = subprocess.run([str(ROOT / "scripts" / "lint-containers.sh")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "LINT_BIN": str(HADOLINT.parent)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "hadolint clean: app/docker/Dockerfile" in run.stdout
