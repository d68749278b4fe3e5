"""scripts/docker-push.sh (make docker-push) refuses bad input before it touches Docker: no
REGISTRY, a user without a password, an image that is not there. The push itself runs in the
compose molecule scenario (converge.yml) against the registry role."""

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "docker-push.sh"


def run(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY")}
    return subprocess.run(
        [str(SCRIPT)], capture_output=True, text=True, env={**clean, **env}, timeout=60
    )


def test_without_registry_prints_the_usage():
    out = run()
    assert out.returncode != 0 and "usage: make docker-push REGISTRY=host:port" in out.stderr


def test_user_without_password_refused():
    out = run(REGISTRY="registry.example.org:5000", REGISTRY_USER="semantik")
    assert out.returncode == 2 and "REGISTRY_USER without REGISTRY_PASSWORD" in out.stderr


def test_missing_image_refused_naming_it():
    out = run(REGISTRY="registry.example.org:5000", IMAGE="semantik-no-such-image:never")
    assert out.returncode == 3 and "no image semantik-no-such-image:never" in out.stderr
