"""scripts/secret-scan.sh (detect-secrets): a fake secret seeded in a scratch file of a tree is
caught, named by file, line and kind, without printing its value; a clean tree passes."""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def tree(tmp_path) -> Path:
    """A scratch git work tree with the real scan script and an empty baseline."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "secret-scan.sh", tmp_path / "scripts")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "app.py").write_text('GREETING = "hello"\n')
    env = _env()
    subprocess.run([str(tmp_path / "scripts" / "secret-scan.sh"), "--update"], cwd=tmp_path,
                   env=env, check=True, capture_output=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    return tmp_path


def _env() -> dict[str, str]:
    # CI=true would limit the scan to tracked files (see the script); these tests set it themselves.
    return {**os.environ, "SECRET_SCAN_BIN": str(VENV_BIN), "CI": ""}


def _scan(tree: Path, *files: str, ci: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(tree / "scripts" / "secret-scan.sh"), *files], cwd=tree,
                          env={**_env(), "CI": ci}, capture_output=True, text=True, timeout=300)


def test_clean_tree_passes(tree):
    run = _scan(tree)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no new secret" in run.stdout


def test_seeded_fake_secret_in_an_untracked_scratch_file_is_caught(tree):
    # Built at run time so this file itself holds no secret-looking literal.
    fake_key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + "234567")
                                for _ in range(16))
    (tree / "scratch.txt").write_text(f"notes\naws_access_key_id = {fake_key}\n")
    run = _scan(tree)
    assert run.returncode == 1
    out = run.stdout + run.stderr
    assert "AWS Access Key" in out and "scratch.txt:2" in out
    assert fake_key not in out
    assert "secret-scan: FAILED" in out
    # CI scans a fresh clone's tracked files only: the same file, once added, fails there too.
    assert _scan(tree, ci="true").returncode == 0
    subprocess.run(["git", "-C", str(tree), "add", "scratch.txt"], check=True)
    assert _scan(tree, ci="true").returncode == 1


def test_known_test_value_in_the_baseline_passes_and_a_new_one_fails(tree):
    fixture = tree / "test_fixture.py"
    fixture.write_text('password = "fixture-password-1"\n')  # pragma: allowlist secret
    assert _scan(tree).returncode == 1
    update = subprocess.run([str(tree / "scripts" / "secret-scan.sh"), "--update"], cwd=tree,
                            env=_env(), capture_output=True, text=True)
    assert update.returncode == 0, update.stderr
    assert "test_fixture.py" in (tree / ".secrets.baseline").read_text()
    # detect-secrets refuses a baseline with unstaged changes: the reviewed one is staged.
    subprocess.run(["git", "-C", str(tree), "add", ".secrets.baseline"], check=True)
    again = _scan(tree)
    assert again.returncode == 0, again.stdout + again.stderr
    added = 'other_password = "another-value-2"\n'  # pragma: allowlist secret
    fixture.write_text(fixture.read_text() + added)
    assert _scan(tree).returncode == 1


def test_the_repository_baseline_excludes_the_built_frontend():
    baseline = (ROOT / ".secrets.baseline").read_text()
    assert "^app/semantik/webui/static/" in baseline
    assert '"is_secret": true' not in baseline
