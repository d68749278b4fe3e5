"""semantik --version and /api/about name the release the role installed (releases/<name>/venv)."""

from __future__ import annotations

import json
import subprocess
import sys

from semantik import __version__
from semantik.shared.release import RELEASE_FILE, current_release


def test_release_file_names_version_and_build(tmp_path):
    build = "abc123def456"  # pragma: allowlist secret (a build id, not a secret)
    (tmp_path / RELEASE_FILE).write_text(json.dumps({"version": "1.2.3", "build": build}))
    release = current_release(tmp_path)
    assert (release.version, release.build) == ("1.2.3", build)
    assert release.name == "1.2.3-abc123def456"


def test_without_a_release_file_the_build_is_dev(tmp_path):
    assert current_release(tmp_path).name == f"{__version__}-dev"
    (tmp_path / RELEASE_FILE).write_text("{not json")  # a broken file never breaks the service
    assert current_release(tmp_path).build == "dev"


def test_cli_version_prints_the_release():
    out = subprocess.run([sys.executable, "-m", "semantik.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"semantik {__version__} (release {current_release().name})"
