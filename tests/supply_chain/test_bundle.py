"""scripts/bundle.sh: the manifest covers every file with its sha256 and catches tampering, the
hash-pinned lock installs offline with --require-hashes, a wrong Qdrant checksum stops the build,
and the apt repository installs the roles' packages on a host with no network."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "scripts" / "bundle.sh"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BUNDLE), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHON": sys.executable, **env},
    )


def _wheel(src: Path, name: str, requires: list[str], out: Path) -> None:
    project = src / name
    (project / name).mkdir(parents=True)
    (project / name / "__init__.py").write_text(f"NAME = {name!r}\n")
    (project / "pyproject.toml").write_text(textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "{name}"
        version = "1.0"
        dependencies = {requires!r}
        """).replace("'", '"'))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(project)],
        check=True, capture_output=True,
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("inputs")
    wheels = base / "wheels"
    _wheel(base / "src", "bundlea", ["bundleb==1.0"], wheels)
    _wheel(base / "src", "bundleb", [], wheels)
    image = base / "semantik-cpu.tar"
    image.write_bytes(b"not really an image, but a file the bundle must carry\n")
    qdrant = base / "qdrant-x86_64-unknown-linux-gnu.tar.gz"
    qdrant.write_bytes(os.urandom(1024))
    return {"wheels": wheels, "image": image, "qdrant": qdrant}


def _env(inputs, out: Path, **extra: str) -> dict[str, str]:
    return {
        "BUNDLE_DIR": str(out),
        "BUNDLE_WHEELS": str(inputs["wheels"]),
        "BUNDLE_APT": "0",
        "IMAGE_ARCHIVE": str(inputs["image"]),
        "QDRANT_ARTIFACT": str(inputs["qdrant"]),
        "QDRANT_ARTIFACT_SHA256": hashlib.sha256(inputs["qdrant"].read_bytes()).hexdigest(),
        **extra,
    }


@pytest.fixture
def bundle(inputs, tmp_path) -> Path:
    out = tmp_path / "bundle"
    run = _run(**_env(inputs, out))
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def test_manifest_lists_every_file_with_its_sha256(bundle):
    manifest = {
        line.split("  ", 1)[1]: line.split("  ", 1)[0]
        for line in (bundle / "MANIFEST.sha256").read_text().splitlines()
    }
    files = {
        str(p.relative_to(bundle)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in bundle.rglob("*")
        if p.is_file() and p.name != "MANIFEST.sha256"
    }
    assert manifest == files
    assert {"requirements.lock", "images/semantik-cpu.tar",
            "qdrant/qdrant-x86_64-unknown-linux-gnu.tar.gz"} <= set(files)
    assert len([f for f in files if f.startswith("wheels/")]) == 2


def test_lock_installs_offline_with_require_hashes(bundle, tmp_path):
    lock = (bundle / "requirements.lock").read_text()
    assert "bundlea==1.0 --hash=sha256:" in lock and "bundleb==1.0 --hash=sha256:" in lock
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--require-hashes", "--no-index", "--find-links", str(bundle / "wheels"),
         "-r", str(bundle / "requirements.lock")],
        capture_output=True, text=True,
    )
    assert install.returncode == 0, install.stderr
    out = subprocess.run([str(venv / "bin" / "python"), "-c", "import bundlea, bundleb"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_verify_passes_then_catches_a_changed_and_an_unlisted_file(bundle):
    ok = _run("--verify", str(bundle))
    assert ok.returncode == 0, ok.stderr
    assert "verified" in ok.stdout
    extra = bundle / "apt" / "stray.deb"
    extra.parent.mkdir()
    extra.write_bytes(b"x")
    unlisted = _run("--verify", str(bundle))
    assert unlisted.returncode == 1 and "apt/stray.deb" in unlisted.stderr
    extra.unlink()
    wheel = next((bundle / "wheels").glob("bundleb-*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    changed = _run("--verify", str(bundle))
    assert changed.returncode == 1 and "differ from MANIFEST" in changed.stderr


def test_lock_hash_mismatch_is_refused(bundle):
    lock = bundle / "requirements.lock"
    text = lock.read_text()
    digest = text.split("bundleb==1.0 --hash=sha256:")[1][:64]
    lock.write_text(text.replace(digest, "0" * 64))
    # Keep the manifest consistent so that only pip's hash check can fail.
    manifest = bundle / "MANIFEST.sha256"
    manifest.write_text("".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(bundle)}\n"
        for p in sorted(bundle.rglob("*"))
        if p.is_file() and p != manifest
    ))
    run = _run("--verify", str(bundle))
    assert run.returncode == 1
    assert "does not resolve from wheels/ with its hashes" in run.stderr


def test_wrong_qdrant_checksum_stops_the_build(inputs, tmp_path):
    run = _run(**_env(inputs, tmp_path / "bundle", QDRANT_ARTIFACT_SHA256="0" * 64))
    assert run.returncode == 1
    assert "does not match QDRANT_ARTIFACT_SHA256" in run.stderr
    assert not (tmp_path / "bundle").exists()


REAL = ROOT / "build" / "bundle"


@pytest.mark.skipif(not (REAL / "MANIFEST.sha256").exists(), reason="no build/bundle (make bundle)")
def test_built_bundle_verifies():
    run = _run("--verify", str(REAL))
    assert run.returncode == 0, run.stdout + run.stderr


def _has_image(image: str) -> bool:
    try:
        return subprocess.run(["docker", "image", "inspect", image],
                              capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not _has_image("semantik-testhost:bookworm"),
                    reason="no semantik-testhost:bookworm image (make images)")
def test_apt_repository_installs_with_no_network(tmp_path):
    repo = tmp_path / "apt"
    built = subprocess.run(
        [str(ROOT / "scripts" / "bundle-apt.sh"), str(repo), "bookworm", "nftables", "sqlite3"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert built.returncode == 0, built.stderr
    assert list(repo.glob("nftables_*.deb")) and (repo / "Release").exists()
    # Only the bundle as a source, and no network at all: every dependency must come from it.
    script = (
        "rm -rf /etc/apt/sources.list /etc/apt/sources.list.d/* /var/lib/apt/lists/* && "
        "echo 'deb [trusted=yes] file:/srv/apt ./' >/etc/apt/sources.list.d/bundle.list && "
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
        "apt-get install -qq -y --no-install-recommends nftables sqlite3 >/dev/null && "
        "nft --version && sqlite3 --version"
    )
    run = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "-v", f"{repo}:/srv/apt:ro",
         "--entrypoint", "/bin/sh", "semantik-testhost:bookworm", "-c", script],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nftables v" in run.stdout


def test_apt_package_lists_come_from_the_roles():
    def listed(suite: str) -> set[str]:
        out = subprocess.run([sys.executable, str(ROOT / "scripts" / "bundle_packages.py"), suite],
                             capture_output=True, text=True, check=True).stdout
        return set(out.split())

    bookworm, trixie = listed("bookworm"), listed("trixie")
    # One package from each role that installs any (common, firewall, proxy, semantik, backup).
    assert {"sqlite3", "systemd-timesyncd", "nftables", "nginx", "python3-venv", "cron"} <= bookworm
    # The monitoring roles (node_exporter with the nginx exporter, prometheus, alertmanager).
    monitoring = {"prometheus-node-exporter", "prometheus-nginx-exporter", "prometheus",
                  "prometheus-blackbox-exporter", "prometheus-alertmanager"}
    assert monitoring <= bookworm and monitoring <= trixie
    # Docker from the distribution only where its compose is v2 (Debian 13).
    assert "docker.io" not in bookworm and {"docker.io", "docker-compose"} <= trixie
    # community.docker's docker_login on the compose hosts needs requests.
    assert "python3-requests" in trixie
    # The registry role (docker-registry; passlib and bcrypt for its htpasswd) on both releases.
    assert {"docker-registry", "python3-passlib", "python3-bcrypt"} <= bookworm & trixie


def test_apt_from_another_bundle_is_hard_linked_and_listed(inputs, bundle, tmp_path):
    """BUNDLE_APT_FROM (scripts/build-next-bundle.sh): another bundle's apt/ as it is, hard links,
    in the manifest; IMAGE_ARCHIVE empty: no image."""
    suite = bundle / "apt" / "bookworm"
    suite.mkdir(parents=True)
    (suite / "Packages").write_text("Package: fake\n")
    out = tmp_path / "next"
    run = _run(**_env(inputs, out, BUNDLE_APT_FROM=str(bundle / "apt"), IMAGE_ARCHIVE=""))
    assert run.returncode == 0, run.stdout + run.stderr
    copied = out / "apt" / "bookworm" / "Packages"
    assert copied.stat().st_ino == (suite / "Packages").stat().st_ino
    assert "apt/bookworm/Packages" in (out / "MANIFEST.sha256").read_text()
    assert not (out / "images").exists()
    assert _run("--verify", str(out)).returncode == 0
