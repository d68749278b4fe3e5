"""The compose project and the images' recipes: every override combination validates with
`docker compose config`, .env.docker.example matches the app's settings, Dockerfile.cuda stays
Dockerfile plus its CUDA lines, and the built image (when present) runs as non-root and refuses
placeholder secrets."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from semantik.shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "app" / "compose"
DOCKER = ROOT / "app" / "docker"
EXAMPLE = COMPOSE / ".env.docker.example"
OVERRIDES = ["gpu", "dev", "prod", "embedded", "backup"]
IMAGE = "semantik:cpu"


def _compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    out = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    return out.returncode == 0


needs_compose = pytest.mark.skipif(
    not _compose_available(), reason="docker compose v2 missing (app/docker/fetch-cli-plugins.sh)"
)


def _example_vars() -> dict[str, bool]:
    """Variable name -> set (True) or listed as a comment (False)."""
    found: dict[str, bool] = {}
    for line in EXAMPLE.read_text().splitlines():
        m = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", line)
        if m:
            found[m.group(2)] = found.get(m.group(2), False) or m.group(1) is None
    return found


def _compose_interpolations() -> set[str]:
    names: set[str] = set()
    for f in COMPOSE.glob("docker-compose*.yml"):
        names |= set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", f.read_text()))
    return names


def test_example_lists_every_setting():
    listed = _example_vars()
    missing = [
        f"SEMANTIK_{n.upper()}"
        for n in Settings.model_fields
        if f"SEMANTIK_{n.upper()}" not in listed
    ]
    assert not missing, f"settings missing from .env.docker.example: {missing}"


def test_example_holds_no_unknown_variable():
    fields = {f"SEMANTIK_{n.upper()}" for n in Settings.model_fields}
    entrypoint = set(re.findall(r"SEMANTIK_[A-Z_]+", (DOCKER / "docker-entrypoint.sh").read_text()))
    known = fields | entrypoint | _compose_interpolations() | {"SEMANTIK_SECRETS_DIR"}
    unknown = sorted(set(_example_vars()) - known)
    assert not unknown, f".env.docker.example names variables nothing reads: {unknown}"


def test_every_compose_variable_is_in_the_example():
    missing = sorted(_compose_interpolations() - set(_example_vars()))
    assert not missing, f"compose files use variables .env.docker.example lacks: {missing}"


def test_example_values_parse_as_settings(monkeypatch):
    for name, is_set in _example_vars().items():
        if not is_set or not name.startswith("SEMANTIK_"):
            continue
        value = next(
            line.split("=", 1)[1]
            for line in EXAMPLE.read_text().splitlines()
            if line.startswith(name + "=")
        )
        monkeypatch.setenv(name, value)
    Settings()


def test_cuda_dockerfile_is_the_cpu_one_plus_cuda_lines():
    def body(p: Path) -> list[str]:
        return [line for line in p.read_text().splitlines() if not line.startswith("#")]

    cpu, cuda = body(DOCKER / "Dockerfile"), body(DOCKER / "Dockerfile.cuda")
    added = [line for line in cuda if line not in cpu]
    removed = [line for line in cpu if line not in cuda]
    assert removed == ["ARG WHEELHOUSE=build/wheelhouse", "    SEMANTIK_WEBUI_HOST=0.0.0.0"]
    assert "ARG WHEELHOUSE=build/wheelhouse-cuda" in added
    assert "    SEMANTIK_DEVICE=cuda \\" in added


@needs_compose
@pytest.mark.parametrize(
    "combo",
    [c for r in range(len(OVERRIDES) + 1) for c in itertools.combinations(OVERRIDES, r)],
    ids=lambda c: "+".join(("base", *c)),
)
def test_compose_config_valid(combo, tmp_path):
    files = ["-f", str(COMPOSE / "docker-compose.yml")]
    for name in combo:
        files += ["-f", str(COMPOSE / f"docker-compose.{name}.yml")]
    out = subprocess.run(
        ["docker", "compose", "--env-file", str(EXAMPLE), *files, "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    import json

    config = json.loads(out.stdout)
    services = config["services"]
    assert ("qdrant" in services) == ("embedded" not in combo)
    for name, svc in services.items():
        assert svc.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in svc.get("security_opt", []), name
        assert "healthcheck" in svc, name
        for port in svc.get("ports", []):
            assert port.get("host_ip") == "127.0.0.1", (name, port)
        if name != "qdrant" and "dev" not in combo:
            assert svc.get("read_only") is True, name
    webui = services["webui"]
    assert webui["depends_on"]["vecpipe"]["condition"] == "service_healthy"
    docs = [v for v in webui["volumes"] if v["target"] == "/srv/documents"]
    assert docs and docs[0].get("read_only") is True
    if "embedded" in combo:
        assert services["vecpipe"]["environment"]["SEMANTIK_VECTOR_STORE"] == "embedded"
        assert not services["vecpipe"].get("depends_on")
    else:
        assert services["vecpipe"]["depends_on"]["qdrant"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(services["qdrant"]["healthcheck"]["test"])
    if "prod" in combo:
        assert {s["source"] for s in webui["secrets"]} == {"jwt_secret", "internal_api_key"}
        assert webui["logging"]["options"]["max-size"] == "10m"
    if "backup" in combo:
        backups = [v for v in webui["volumes"] if v["target"] == "/var/backups/semantik"]
        assert backups and not backups[0].get("read_only"), webui["volumes"]
        assert webui["environment"]["SEMANTIK_BACKUP_DIR"] == "/var/backups/semantik"
    if "gpu" in combo:
        devices = services["vecpipe"]["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["capabilities"] == ["gpu"]


def _image_present() -> bool:
    if shutil.which("docker") is None:
        return False
    return (
        subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode == 0
    )


needs_image = pytest.mark.skipif(
    not _image_present(), reason=f"{IMAGE} not built (make docker-build)"
)


@needs_image
def test_image_runs_as_non_root():
    out = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", IMAGE, "-u"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "10001"


@needs_image
@pytest.mark.parametrize("value", ["change-me", "short-but-real", "<your-secret>"])
def test_image_refuses_placeholder_secrets(value):
    out = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--read-only",
            "-e",
            f"SEMANTIK_JWT_SECRET={value}",
            IMAGE,
            "serve",
            "webui",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 78, out.stderr
    assert "SEMANTIK_JWT_SECRET" in out.stderr
    assert value not in out.stderr  # the value itself is never printed
