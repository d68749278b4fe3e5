"""Upgrades and rollbacks on the compose runtime (playbooks/upgrade.yml and rollback.yml through
roles/semantik/tasks/compose_upgrade.yml / compose_rollback.yml), from the compose host itself as
the client, through nginx:

- no-op: upgrade.yml to the running image changes nothing (timed);
- upgrade to N+1, a real, distinct release: a thin image FROM semantik:cpu built on the controller
  with its own release file (/api/about reports it) and version label, pushed to the scenario's
  registry with scripts/docker-push.sh (only its new layer travels), while 5 clients search:
  data, users and the session survive; failed searches and the restart window are printed;
- an upgrade to a broken image (its vecpipe exits at start) fails naming the host and the reason,
  and the project is back on N+1 and answers searches;
- rollback.yml goes back to the image before the last upgrade: the scenario's own (semantik:cpu),
  so the module leaves the host as it found it.
Times of each playbook are printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.molecule.helpers import (
    REPO,
    WebApi,
    address,
    ansible_playbook,
    changed_tasks,
    group_host,
    recap_changed,
    report_searches,
    searches_around,
    sh,
)

# The compose host (the registry host has its own module, test_compose_registry.py).
testinfra_hosts = ["webui"]

PROJECT_DIR = "/opt/semantik"
CA_FILE = "/etc/ssl/semantik/fullchain.pem"
# Tags of this run's images (the controller's Docker is shared by parallel runs: the prefix).
PREFIX = os.environ.get("SEMANTIK_TESTHOST_PREFIX", "")
NEXT, BROKEN = "99.0.1", "99.0.2"
NEXT_TAG, BROKEN_TAG = f"{PREFIX}{NEXT}", f"{PREFIX}{BROKEN}"
# The broken release: vecpipe exits at start, webui would start as usual.
BROKEN_ENTRYPOINT = """#!/bin/sh
if [ "$1" = serve ] && [ "$2" = vecpipe ]; then
  echo "broken release: vecpipe exits at start" >&2
  exit 3
fi
exec docker-entrypoint.sh "$@"
"""


def thin_image(version: str, tag: str, broken: bool = False) -> None:
    """semantik:<tag> on the controller: semantik:cpu plus a release file (and for the broken one
    an entrypoint that makes vecpipe exit), two small layers."""
    with tempfile.TemporaryDirectory() as context:
        root = Path(context)
        (root / "semantik-release.json").write_text(
            json.dumps({"version": version, "build": f"image-{tag}"}))
        lines = ["FROM semantik:cpu",
                 f"LABEL org.opencontainers.image.version={version}",
                 "COPY semantik-release.json /opt/semantik/venv/semantik-release.json"]
        if broken:
            (root / "broken-entrypoint.sh").write_text(BROKEN_ENTRYPOINT)
            (root / "broken-entrypoint.sh").chmod(0o755)
            lines += ["COPY broken-entrypoint.sh /usr/local/bin/broken-entrypoint.sh",
                      'ENTRYPOINT ["broken-entrypoint.sh"]']
        (root / "Dockerfile").write_text("\n".join(lines) + "\n")
        subprocess.run(["docker", "build", "--quiet", "-t", f"semantik:{tag}", str(root)],
                       check=True, capture_output=True, text=True)


def push(registry_ip: str, variables: dict, tag: str) -> None:
    """make docker-push's script, as the converge pushes semantik:cpu."""
    result = subprocess.run(
        [str(REPO / "scripts" / "docker-push.sh")], cwd=REPO, capture_output=True, text=True,
        env={**os.environ, "REGISTRY": f"{registry_ip}:5000", "IMAGE": f"semantik:{tag}",
             "REGISTRY_USER": variables["semantik_image_registry_username"],
             "REGISTRY_PASSWORD": variables["registry_password"]},
        check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    print(f"\n{result.stdout.strip().splitlines()[-1]}")


def playbook(name: str, *args: str):
    started = time.monotonic()
    result = ansible_playbook(REPO / name, *args, timeout=1500)
    return result, time.monotonic() - started


def running_image(host) -> str:
    return sh(host, f"sed -n 's/^SEMANTIK_IMAGE=//p' {PROJECT_DIR}/.env").strip()


def users(host) -> list:
    """Accounts as (name, admin, disabled): the canary's login changes last_login_at."""
    out = sh(host, f"cd {PROJECT_DIR} && docker compose exec -T webui semantik users list --json")
    return [(u["username"], u["is_admin"], u["disabled"]) for u in json.loads(out)]


@pytest.fixture(scope="module", autouse=True)
def thin_images():
    """The module's images leave the controller with it (the registry's go with its host)."""
    yield
    subprocess.run(["docker", "image", "rm", "--force", f"semantik:{NEXT_TAG}",
                    f"semantik:{BROKEN_TAG}"], capture_output=True, check=False)


@pytest.fixture(scope="module")
def variables(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def site(host):
    """The name the proxy's certificate is for (no default route here, so no IP SAN); the
    container's /etc/hosts resolves it to the host."""
    subject = sh(host, f"openssl x509 -in {CA_FILE} -noout -subject")
    return subject.split("CN", 1)[1].lstrip(" =").strip()


@pytest.fixture(scope="module")
def api(host, site):
    return WebApi(host, base=f"https://{site}", cafile=CA_FILE)


@pytest.fixture(scope="module")
def registry_ip():
    return address(group_host("registry"))


@pytest.fixture(scope="module")
def image_n(host):
    """The scenario's image (the module's last test, rollback.yml, returns to it)."""
    return running_image(host)


@pytest.fixture(scope="module")
def session(api, variables):
    status, tokens = api.login(variables.get("semantik_admin_user", "admin"),
                               variables["semantik_admin_password"])
    assert status == 200, tokens
    name, job = api.index_new_collection(tokens["access_token"], "upgrade")
    assert job["status"] == "succeeded", job
    yield tokens, name
    api.call("DELETE", f"/api/collections/{name}", api.admin_token(variables))


@pytest.fixture
def searchable(api, variables, session):
    """A fresh token for each test (a slow module never searches with an expired one)."""
    return api.admin_token(variables), session[1]


def about(api, token: str) -> dict:
    status, body = api.call("GET", "/api/about", token)
    assert status == 200, body
    return body


def test_upgrade_to_the_running_image_changes_nothing(host, image_n, session):
    result, seconds = playbook("playbooks/upgrade.yml")
    print(f"\nno-op upgrade.yml (compose, to the running image): {seconds:.1f}s, "
          f"changed={recap_changed(result.stdout)}")
    assert result.returncode == 0, result.stdout[-3000:]
    assert recap_changed(result.stdout) == 0, changed_tasks(result.stdout)
    assert running_image(host) == image_n


def test_upgrade_under_searches_keeps_data_users_and_sessions(
        host, api, site, variables, registry_ip, image_n, session, searchable):
    thin_image(NEXT, NEXT_TAG)
    push(registry_ip, variables, NEXT_TAG)
    token, name = searchable
    before = api.call("GET", f"/api/collections/{name}", token)[1]
    users_before = users(host)
    outcome = {}

    def upgrade():
        outcome["result"], outcome["seconds"] = playbook(
            "playbooks/upgrade.yml", "-e", f"semantik_image_tag={NEXT_TAG}")

    results = searches_around(host, site, CA_FILE, searchable, upgrade)
    result = outcome["result"]
    assert result.returncode == 0, result.stdout[-4000:]
    gaps, failed = report_searches(f"compose upgrade -> {NEXT_TAG}", results)
    slow = [r for r in results if r["seconds"] > 1.0 or r["status"] != 200]
    window = (max(r["at"] + r["seconds"] for r in slow) - min(r["at"] for r in slow)) if slow else 0
    print(f"upgrade.yml (compose) {image_n} -> {NEXT_TAG}: {outcome['seconds']:.1f}s; "
          f"{len(gaps) + len(failed)} failed searches; restart window (searches failed or slower "
          f"than 1 s) {window:.1f}s")
    assert running_image(host).endswith(f"/semantik:{NEXT_TAG}")
    # The session from before the upgrade still works; data and users are the same.
    status, after = api.call("GET", f"/api/collections/{name}", token)
    assert status == 200 and after["chunks"] == before["chunks"], (before, after)
    assert about(api, token)["release"] == f"{NEXT}-image-{NEXT_TAG}"
    assert users(host) == users_before
    assert image_n in sh(host, f"cat {PROJECT_DIR}/.env.previous")


def test_broken_upgrade_goes_back_by_itself(host, api, variables, registry_ip, searchable):
    thin_image(BROKEN, BROKEN_TAG, broken=True)
    push(registry_ip, variables, BROKEN_TAG)
    running = running_image(host)
    result, seconds = playbook("playbooks/upgrade.yml", "-e", f"semantik_image_tag={BROKEN_TAG}")
    print(f"\nbroken upgrade (compose) -> {BROKEN_TAG}, back by itself: {seconds:.1f}s")
    assert result.returncode != 0
    said = " ".join((result.stdout + result.stderr).split())
    assert f"Upgrade of {host.backend.host} to image " in said, said[-4000:]
    print(said[said.index(f"Upgrade of {host.backend.host}"):][:900])
    assert f"semantik:{BROKEN_TAG} failed in" in said, said[-4000:]
    assert f"The project is back on image {running} and its containers are healthy" in said, (
        said[-4000:])
    assert running_image(host) == running
    token, name = searchable
    status, found = api.call("POST", "/api/search", token,
                             {"query": "how do bees pollinate flowers", "collections": [name]})
    assert status == 200 and found["results"], found
    assert about(api, token)["release"] == f"{NEXT}-image-{NEXT_TAG}"


def test_rollback_to_the_image_before_the_upgrade(host, api, image_n, searchable):
    result, seconds = playbook("playbooks/rollback.yml")
    print(f"\nrollback.yml (compose) -> {image_n}: {seconds:.1f}s")
    assert result.returncode == 0, result.stdout[-4000:]
    assert running_image(host) == image_n
    token, name = searchable
    status, found = api.call("POST", "/api/search", token,
                             {"query": "how do bees pollinate flowers", "collections": [name]})
    assert status == 200 and found["results"], found
    # semantik:cpu has no release file: the version with build "dev".
    assert about(api, token)["release"].endswith("-dev")
