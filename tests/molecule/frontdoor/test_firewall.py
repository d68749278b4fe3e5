"""frontdoor: the nftables firewall on the edge host.

Stand-in listeners on 0.0.0.0:8000, 6333 and 9100 (prepare.yml) make sure that only the firewall
can keep other hosts away from them; `outside` is a monitoring source (9100 and the services'
/metrics ports), the acme host is in no group and reaches only 80/443."""

import pytest

from tests.molecule.frontdoor.frontdoor_net import probe
from tests.molecule.helpers import address, group_host

testinfra_hosts = ["edge"]


@pytest.fixture(scope="module")
def outside():
    return group_host("outside")


def test_outside_reaches_only_ssh_http_https_and_its_metrics_ports(host, outside):
    seen = probe(outside, address(host), [22, 80, 443, 9100, 8000, 8080, 6333, 6334, 6335])
    # Nothing listens on 22 in the test host: a refusal shows the packet got through.
    assert seen[22] in ("open", "refused")
    assert seen[80] == seen[443] == "open"
    # `outside` is a monitoring source: the node exporter, and the /metrics of vecpipe, webui and
    # Qdrant's API port (edge is in those groups) get through; Qdrant's peer port never does.
    assert seen[9100] == "open"
    assert seen[8000] == seen[6333] == "open", seen
    assert seen[8080] in ("open", "refused") and seen[6334] in ("open", "refused"), seen
    assert seen[6335] == "filtered", seen


def test_a_host_in_no_group_reaches_only_ssh_http_https(host):
    other = group_host("acme")
    seen = probe(other, address(host), [80, 443, 9100, 8000, 8080, 6333, 6334, 6335])
    assert seen[80] == seen[443] == "open", seen
    for port in (9100, 8000, 8080, 6333, 6334, 6335):
        assert seen[port] == "filtered", (port, seen)


def test_loopback_use_still_works(host):
    seen = probe(host, "127.0.0.1", [8000, 8080, 6333])
    assert set(seen.values()) == {"open"}, seen
    # and the host's own address is loopback traffic too
    seen = probe(host, address(host), [8000, 6333])
    assert set(seen.values()) == {"open"}, seen


def test_ssh_and_established_come_first(host):
    chain = host.check_output("nft list chain inet semantik input")
    lines = [ln.strip() for ln in chain.splitlines()]
    rules = [ln for ln in lines if ln and not ln.startswith(("table", "chain", "type", "}"))]
    assert rules[0].startswith("tcp dport 22 ip saddr @ssh_sources_v4 accept")
    assert rules[1].startswith("tcp dport 22 ip6 saddr @ssh_sources_v6 accept")
    assert rules[2].startswith("ct state established,related accept")
    assert "policy drop" in chain


def docker_chains_present(host):
    return (
        host.run("iptables -n -L DOCKER-USER").rc == 0
        and host.run("iptables -n -t nat -L DOCKER").rc == 0
        and host.run("iptables -S FORWARD").stdout.count("-j DOCKER-USER") == 1
    )


def test_dockers_chains_survive_converge_and_reload(host):
    assert docker_chains_present(host)
    host.run_expect([0], "systemctl reload semantik-firewall.service")
    assert docker_chains_present(host)
    host.run_expect([0], "systemctl restart semantik-firewall.service")
    assert docker_chains_present(host)
    assert host.run("nft list table inet semantik").rc == 0


def test_stopping_removes_only_our_table(host):
    host.run_expect([0], "systemctl stop semantik-firewall.service")
    try:
        assert host.run("nft list table inet semantik").rc != 0
        assert docker_chains_present(host)
    finally:
        host.run_expect([0], "systemctl start semantik-firewall.service")
    assert host.run("nft list table inet semantik").rc == 0


def test_firewall_unit_is_enabled_and_ruleset_is_private(host):
    assert host.service("semantik-firewall.service").is_enabled
    rules = host.file("/etc/nftables.d/semantik.nft")
    assert rules.mode == 0o600 and rules.user == "root"
    assert "flush ruleset" not in rules.content_string
