"""scripts/sbom.sh: each CycloneDX SBOM is valid and lists every installed package, compared with
what pip, the frontend's package-lock.json and the image itself report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SBOM = ROOT / "scripts" / "sbom.sh"
VENV_BIN = Path(sys.executable).parent


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _components(path: Path) -> set[tuple[str, str]]:
    bom = json.loads(path.read_text())
    return {(_norm(c["name"]), c["version"]) for c in bom.get("components", [])}


def _run(out: Path, *parts: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SBOM), *parts],
        capture_output=True,
        text=True,
        env={**os.environ, "SBOM_DIR": str(out), "SBOM_TOOLS": str(VENV_BIN), **env},
        timeout=600,
    )


@pytest.fixture(scope="module")
def sboms(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sbom")
    run = _run(out, "python", "frontend", SBOM_PYTHON=sys.executable)
    assert run.returncode == 0, run.stderr
    assert "python.cdx.json: valid CycloneDX" in run.stdout
    assert "frontend.cdx.json: valid CycloneDX" in run.stdout
    return out


def test_python_sbom_lists_every_installed_distribution(sboms):
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format", "json"],
        capture_output=True, text=True, check=True,
    ).stdout
    installed = {(_norm(p["name"]), p["version"]) for p in json.loads(listed)}
    bom = json.loads((sboms / "python.cdx.json").read_text())
    root = bom["metadata"]["component"]
    found = _components(sboms / "python.cdx.json") | {(_norm(root["name"]), root["version"])}
    # pip itself is the installer, not a dependency; cyclonedx-py leaves it out.
    missing = sorted(p for p in installed - found if p[0] != "pip")
    assert len(installed) > 100
    assert not missing, f"installed but not in the SBOM: {missing}"
    purls = [c.get("purl") for c in bom["components"]]
    assert "pkg:pypi/fastapi@0.165.0" in purls


def test_frontend_sbom_lists_every_locked_package(sboms):
    lock = json.loads((ROOT / "app" / "frontend" / "package-lock.json").read_text())
    locked = {
        (_norm(meta.get("name") or key.rsplit("node_modules/", 1)[-1]), meta["version"])
        for key, meta in lock["packages"].items()
        if key and "version" in meta
    }
    found = _components(sboms / "frontend.cdx.json")
    assert len(locked) > 50
    assert not sorted(locked - found), f"locked but not in the SBOM: {sorted(locked - found)}"


def test_validation_rejects_a_broken_sbom(sboms, tmp_path):
    bom = json.loads((sboms / "frontend.cdx.json").read_text())
    bom["components"][0]["type"] = "not-a-component-type"
    broken = tmp_path / "broken.cdx.json"
    broken.write_text(json.dumps(bom))
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sbom.py"), "validate", str(broken)],
        capture_output=True, text=True,
    )
    assert run.returncode == 1
    assert "invalid CycloneDX 1.5" in run.stderr


def _image() -> str | None:
    """semantik:cpu when built, else the test-host image (same mechanism, no app venv)."""
    for image in ("semantik:cpu", "semantik-testhost:bookworm"):
        found = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
        if found.returncode == 0:
            return image
    return None


IMAGE = _image() if subprocess.run(["which", "docker"], capture_output=True).returncode == 0 \
    else None


@pytest.mark.skipif(IMAGE is None, reason="no semantik:cpu nor test-host image (make images)")
def test_image_sbom_lists_every_package_in_the_image(tmp_path):
    run = _run(tmp_path, "image", SBOM_IMAGE=IMAGE, SBOM_IMAGE_REQUIRED="1")
    assert run.returncode == 0, run.stderr
    listing = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "dpkg-query", IMAGE,
         "-W", "-f=${Package}\t${Version}\n"],
        capture_output=True, text=True, check=True,
    ).stdout
    debs = {(_norm(n), v) for n, v in (line.split("\t") for line in listing.splitlines())}
    bom = json.loads((tmp_path / "image.cdx.json").read_text())
    found = _components(tmp_path / "image.cdx.json")
    assert bom["metadata"]["component"]["type"] == "container"
    assert len(debs) > 50
    assert not sorted(debs - found), f"in the image but not in the SBOM: {sorted(debs - found)}"
    if IMAGE == "semantik:cpu":
        purls = {c["purl"].split("@")[0] for c in bom["components"]}
        assert {"pkg:pypi/semantik", "pkg:pypi/torch"} <= purls


def test_missing_image_is_skipped_with_a_message_or_required(tmp_path):
    missing = "semantik-no-such-image:never"
    run = _run(tmp_path, "image", SBOM_IMAGE=missing)
    assert run.returncode == 0
    assert f"image {missing} is not built here" in run.stderr
    assert not (tmp_path / "image.cdx.json").exists()
    required = _run(tmp_path, "image", SBOM_IMAGE=missing, SBOM_IMAGE_REQUIRED="1")
    assert required.returncode == 3
