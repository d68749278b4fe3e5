"""The CI skip guard in tests/conftest.py: in CI a skip whose reason is not allowed fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = """
import pytest

def test_runs():
    pass

@pytest.mark.skipif(True, reason="frobnicator not installed")
def test_missing_tool():
    pass

def test_other_host():
    pytest.skip("not a webui host")

@pytest.mark.skipif(True, reason="this host has an NVIDIA GPU")
def test_gpu():
    pass
"""


def _run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {"PATH": "/usr/bin:/bin", "CI": ci}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )


def test_in_ci_an_unallowed_skip_fails_and_names_the_fix(tmp_path):
    out = _run(tmp_path, "true")
    assert out.returncode == 1, out.stdout
    # skipif is evaluated in setup, so the run reports it as an error there.
    assert "1 passed, 2 skipped, 1 error" in out.stdout, out.stdout
    assert "test_missing_tool" in out.stdout
    assert "skipped in CI (frobnicator not installed)" in out.stdout
    assert "ALLOWED_SKIPS" in out.stdout


def test_outside_ci_skips_stay_skips(tmp_path):
    out = _run(tmp_path, "")
    assert out.returncode == 0, out.stdout
    assert "1 passed, 3 skipped" in out.stdout, out.stdout
