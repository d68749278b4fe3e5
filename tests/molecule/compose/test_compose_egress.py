"""No egress (the scenario's default mode, SEMANTIK_COMPOSE_OFFLINE=true): the host sits alone on
a Docker network with `internal: true` and its prepare step took the default route away, so the
converge (semantik_offline: true) had every package from the air-gap bundle's apt repository and
the image from its archive. Proven here: no route and no name resolution out, the bundle is the
only apt source and the packages the roles installed came from it, and the kernel counted no
attempt to send a packet out since boot (the converge, the end-to-end checks before this module).
The checks are the default scenario's too (tests/molecule/helpers.py)."""

import pytest

from tests.molecule.helpers import (
    check_bundle_is_the_only_apt_source,
    check_installed_from_the_bundle,
    check_networks_are_internal,
    check_no_route_and_no_name_resolution_out,
    check_nothing_tried_to_leave,
    offline,
)

# The compose host (the registry host has its own module, test_compose_registry.py).
testinfra_hosts = ["webui"]

# Installed by the roles (the test-host image has none of them).
ROLE_PACKAGES = ["docker.io", "docker-compose", "nginx", "nftables", "cron"]


@pytest.fixture(autouse=True)
def _offline_mode(host):
    if not offline(host):
        pytest.skip("SEMANTIK_COMPOSE_OFFLINE=false: the host had a route out")


def test_nothing_tried_to_leave(host):
    """Since the host started: prepare, converge, idempotence, the end-to-end checks (run before
    this module), less what this module's own probes recorded."""
    check_nothing_tried_to_leave(host)


def test_the_network_is_internal(host):
    check_networks_are_internal(host)


def test_no_route_and_no_name_resolution_out(host):
    check_no_route_and_no_name_resolution_out(host)


def test_the_bundle_is_the_only_apt_source(host):
    check_bundle_is_the_only_apt_source(host)


@pytest.mark.parametrize("package", ROLE_PACKAGES)
def test_installed_packages_came_from_the_bundle(host, package):
    check_installed_from_the_bundle(host, package)
