"""No egress (the scenario's default mode, SEMANTIK_DEFAULT_OFFLINE=true): the four hosts sit on a
Docker network with `internal: true` and the prepare step took their default routes away, so
site.yml (semantik_offline: true) had every Debian package from the air-gap bundle's apt repository
and every wheel from its hash-pinned lock. Proven here, after every other module of the scenario
(conftest.py runs this one last: the upgrades, rotations, restarts and backups are all counted):
no route and no name resolution out on any host, the bundle is the Semantik hosts' only apt source
and the packages the roles installed came from it, each venv holds exactly the lock's
distributions, and the kernel counted no attempt to send a packet out since the hosts started."""

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.molecule.helpers import (
    check_bundle_is_the_only_apt_source,
    check_installed_from_the_bundle,
    check_networks_are_internal,
    check_no_route_and_no_name_resolution_out,
    check_nothing_tried_to_leave,
    offline,
    sh,
)

testinfra_hosts = ["all"]

# What the roles install on each group's host (the test-host image has none of them).
ROLE_PACKAGES = {
    "proxy": ["nginx", "nftables", "prometheus", "prometheus-alertmanager",
              "prometheus-blackbox-exporter", "prometheus-node-exporter"],
    "webui": ["python3-venv", "sqlite3", "cron", "nftables", "prometheus-node-exporter"],
    "vecpipe": ["python3-venv", "nftables", "prometheus-node-exporter"],
}
# The venv's own installer: python3 -m venv puts Debian's pip (python3-pip-whl, from the bundle).
VENV_TOOLS = {"pip", "setuptools"}


@pytest.fixture(autouse=True)
def _offline_mode(host):
    if not offline(host):
        pytest.skip("SEMANTIK_DEFAULT_OFFLINE=false: the hosts had a route out")


def groups(host) -> set[str]:
    return set(host.ansible.get_variables()["group_names"])


def test_the_network_is_internal(host):
    check_networks_are_internal(host)


def test_no_route_and_no_name_resolution_out(host):
    check_no_route_and_no_name_resolution_out(host)


def test_the_bundle_is_the_only_apt_source(host):
    if not groups(host) & set(ROLE_PACKAGES):
        # The client: site.yml leaves its sources alone.
        pytest.skip("not a site host")
    check_bundle_is_the_only_apt_source(host)


def test_installed_packages_came_from_the_bundle(host):
    mine = groups(host) & set(ROLE_PACKAGES)
    packages = sorted({package for group in mine for package in ROLE_PACKAGES[group]})
    if not packages:
        pytest.skip("not a site host")
    for package in packages:
        check_installed_from_the_bundle(host, package)


def test_the_venv_is_the_bundles_lock(host):
    """Every distribution in the running release's venv is the name and version of a line of the
    bundle's requirements.lock (installed with --require-hashes)."""
    if not groups(host) & {"webui", "vecpipe"}:
        pytest.skip("not a semantik host")
    lock_file = Path(host.ansible.get_variables()["semantik_bundle_dir"]) / "requirements.lock"
    lock = {}
    for line in lock_file.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split()[0].split("==")
            lock[canonicalize_name(name)] = version
    listed = sh(host, "/opt/semantik/venv/bin/python -m pip list --format=json "
                      "--disable-pip-version-check")
    installed = {canonicalize_name(d["name"]): d["version"] for d in json.loads(listed)}
    outside = {n: v for n, v in installed.items() if lock.get(n) != v and n not in VENV_TOOLS}
    assert not outside, f"not in {lock_file}: {outside}"
    assert installed["semantik"] == lock["semantik"]


def test_nothing_tried_to_leave(host):
    """Since the hosts started: prepare, check, converge, idempotence, every other module of the
    scenario (run before this one), less what the probes above recorded."""
    check_nothing_tried_to_leave(host)
