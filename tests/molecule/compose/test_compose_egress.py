"""No egress (the scenario's default mode, SEMANTIK_COMPOSE_OFFLINE=true): the host sits alone on
a Docker network with `internal: true` and its prepare step took the default route away, so the
converge (semantik_offline: true) had every package from the air-gap bundle's apt repository and
the image from its archive. Proven here: no route and no name resolution out, the bundle is the
only apt source and the packages the roles installed came from it, and the kernel counted no
attempt to send a packet out since boot (the converge, the end-to-end checks before this module)."""

import json
import subprocess

import pytest

from tests.molecule.helpers import sh

# The compose host (the registry host has its own module, test_compose_registry.py).
testinfra_hosts = ["webui"]

BUNDLE_SOURCE = "file:/var/lib/semantik-bundle/apt"
# Installed by the roles (the test-host image has none of them).
ROLE_PACKAGES = ["docker.io", "docker-compose", "nginx", "nftables", "cron"]


@pytest.fixture(autouse=True)
def _offline_mode(host):
    if str(host.ansible.get_variables().get("semantik_offline", "")).lower() != "true":
        pytest.skip("SEMANTIK_COMPOSE_OFFLINE=false: the host had a route out")


# Probes of this module that try to reach out on purpose add to the counters; each records how
# much here, so a second `molecule verify` on the same host still compares what the site did.
PROBES = "/var/tmp/semantik-egress-probes"


def _counter(text: str, table: str, field: str) -> int:
    rows = [line.split()[1:] for line in text.split("\n") if line.startswith(table + ":")]
    names, values = rows[:2]
    return int(values[names.index(field)])


def _no_route_counts(host) -> dict[str, int]:
    snmp = sh(host, "cat /proc/net/snmp")
    netstat = sh(host, "cat /proc/net/netstat")
    snmp6 = dict(line.split() for line in sh(host, "cat /proc/net/snmp6").split("\n") if line)
    return {
        # A packet of the host's own processes to an address out of the network (no route).
        "Ip OutNoRoutes": _counter(snmp, "Ip", "OutNoRoutes"),
        # A packet of a container (the inner Docker's bridges) forwarded towards one.
        "IpExt InNoRoutes": _counter(netstat, "IpExt", "InNoRoutes"),
        "Ip6OutNoRoutes": int(snmp6.get("Ip6OutNoRoutes", 0)),
        "Ip6InNoRoutes": int(snmp6.get("Ip6InNoRoutes", 0)),
    }


def test_nothing_tried_to_leave(host):
    """Since the host started: prepare, converge, idempotence, the end-to-end checks (run before
    this module), less what this module's own probes recorded."""
    counts = _no_route_counts(host)
    probes = host.run("cat %s", PROBES).stdout.split()
    counts["Ip OutNoRoutes"] -= sum(int(n) for n in probes)
    print(f"no-route counters since the host started, less {len(probes)} probe(s): {counts}")
    assert counts == dict.fromkeys(counts, 0), counts


def test_the_network_is_internal(host):
    name = host.ansible.get_variables()["inventory_hostname"]
    networks = json.loads(
        subprocess.check_output(
            ["docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", name], text=True
        )
    )
    assert networks, name
    for network in networks:
        internal = subprocess.check_output(
            ["docker", "network", "inspect", "--format", "{{.Internal}}", network], text=True
        )
        assert internal.strip() == "true", f"{name} is on {network}, which is not internal"


def test_no_route_and_no_name_resolution_out(host):
    assert sh(host, "ip -4 route show default").strip() == ""
    route = host.run("ip -4 route get 1.1.1.1")
    assert route.rc != 0 and "unreachable" in route.stderr, route.stdout
    before = _no_route_counts(host)["Ip OutNoRoutes"]
    assert host.run("getent ahosts deb.debian.org").rc != 0
    # The lookup is forwarded by Docker's embedded DNS from inside the host's network namespace and
    # counted: the counters above do see an attempt to reach out.
    probe = _no_route_counts(host)["Ip OutNoRoutes"] - before
    sh(host, "echo %s >> " + PROBES, str(probe))
    assert probe > 0


def test_the_bundle_is_the_only_apt_source(host):
    assert not host.file("/etc/apt/sources.list").exists
    assert sh(host, "ls /etc/apt/sources.list.d").split() == ["semantik-bundle.sources"]
    targets = sh(host, "apt-get indextargets --format '$(REPO_URI)'")
    uris = {line.strip() for line in targets.split("\n") if line.strip()}
    assert uris <= {BUNDLE_SOURCE + "/"}, uris


@pytest.mark.parametrize("package", ROLE_PACKAGES)
def test_installed_packages_came_from_the_bundle(host, package):
    policy = sh(host, "apt-cache policy %s", package)
    # The version table: "*** <installed version> <prio>" followed by the sources offering it.
    table = policy.split("Version table:", 1)[1].split("\n")
    start = next(i for i, line in enumerate(table) if line.strip().startswith("***"))
    sources = []
    for line in table[start + 1 :]:
        if line.strip() and not line.startswith("        "):
            break
        sources.append(line.strip())
    assert any(BUNDLE_SOURCE in s for s in sources), policy
    assert all(BUNDLE_SOURCE in s or "/var/lib/dpkg/status" in s for s in sources if s), policy
