"""The compose runtime on compose-trixie: semantik-compose.service runs the project, its
containers are healthy and locked down, only loopback ports are published, the secrets are private,
and Docker's nftables chains survive the firewall role with the containers still reaching each
other."""

import json

import pytest

# The compose host (the registry host has its own module, test_compose_registry.py).
testinfra_hosts = ["webui"]

PROJECT = "semantik"
SERVICES = ("vecpipe", "webui")


def containers(host):
    """{service: docker inspect of its container} for the compose project."""
    names = host.check_output(
        "docker ps --all --filter label=com.docker.compose.project=%s --format '{{.Names}}'",
        PROJECT,
    ).split()
    inspected = json.loads(host.check_output("docker inspect " + " ".join(names))) if names else []
    return {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in inspected}


@pytest.fixture(scope="module")
def project(host):
    found = containers(host)
    assert set(SERVICES) <= set(found), f"compose services running: {sorted(found)}"
    return found


def test_unit_active_and_enabled(host):
    unit = host.service("semantik-compose.service")
    assert unit.is_enabled
    assert host.check_output("systemctl show -P ActiveState semantik-compose.service") == "active"


def test_embedded_store_no_qdrant_container(project):
    # No Qdrant image exists here: the embedded override leaves the qdrant service out.
    assert "qdrant" not in project


@pytest.mark.parametrize("service", SERVICES)
def test_container_healthy(project, service):
    state = project[service]["State"]
    assert state["Running"], state
    assert state["Health"]["Status"] == "healthy", state["Health"]


@pytest.mark.parametrize("service", SERVICES)
def test_container_locked_down(host, project, service):
    c = project[service]
    hc = c["HostConfig"]
    assert c["Config"]["User"].split(":")[0] not in ("", "0", "root"), c["Config"]["User"]
    assert host.check_output("docker exec %s id -u", c["Name"].lstrip("/")) == "10001"
    assert hc["CapDrop"] == ["ALL"], hc["CapDrop"]
    assert not hc.get("CapAdd"), hc["CapAdd"]
    assert "no-new-privileges:true" in (hc.get("SecurityOpt") or []), hc.get("SecurityOpt")
    assert hc["ReadonlyRootfs"] is True
    assert not hc["Privileged"]
    # The limits come from the role: vecpipe's CPUs default to the host's core count.
    assert hc["NanoCpus"] > 0 and hc["Memory"] > 0 and hc["PidsLimit"] > 0
    documents = [m for m in c["Mounts"] if m["Destination"] == "/srv/documents"]
    if service == "webui":
        assert documents and documents[0]["RW"] is False, c["Mounts"]


def test_vecpipe_cpus_follow_host_cores(host, project):
    cores = int(host.check_output("nproc"))
    assert project["vecpipe"]["HostConfig"]["NanoCpus"] == cores * 10**9


@pytest.mark.parametrize("service", SERVICES)
def test_ports_published_on_loopback_only(project, service):
    bindings = project[service]["HostConfig"]["PortBindings"]
    assert bindings, f"{service} publishes no port"
    for port, binds in bindings.items():
        for b in binds:
            assert b["HostIp"] == "127.0.0.1", (port, b)


def test_no_service_port_on_other_addresses(host):
    listening = host.check_output("ss -Hltn").splitlines()
    for port in (8000, 8080):
        local = [line.split()[3] for line in listening if line.split()[3].endswith(f":{port}")]
        assert local, f"nothing listens on {port}"
        assert all(a.startswith("127.0.0.1:") for a in local), local


def test_secrets_private(host):
    for name in ("jwt_secret", "internal_api_key"):
        f = host.file(f"/etc/semantik/secrets/{name}")
        assert f.exists and f.mode == 0o600 and f.uid == 10001, name
        assert len(f.content_string.strip()) >= 32
    assert host.file("/etc/semantik/secrets").mode == 0o700
    env = host.file("/opt/semantik/.env").content_string
    for name in ("jwt_secret", "internal_api_key"):
        assert host.file(f"/etc/semantik/secrets/{name}").content_string.strip() not in env


def test_secrets_reach_containers_as_files(host, project):
    webui = project["webui"]["Name"].lstrip("/")
    assert host.run("docker exec %s test -r /run/secrets/jwt_secret", webui).rc == 0
    env = host.check_output("docker exec %s env", webui)
    assert "JWT_SECRET=" not in env


def docker_rules(host):
    """Docker's iptables-nft tables: its chains and the DNAT of the published ports."""
    nat = host.check_output("nft list table ip nat")
    filt = host.check_output("nft list table ip filter")
    return nat, filt


def test_docker_chains_survive_firewall(host):
    tables = host.check_output("nft list tables")
    assert "table inet semantik" in tables, tables  # the firewall role's own table
    # Restarting the firewall (as a reboot or a rule change does) replaces only its own table.
    host.run_expect([0], "systemctl restart semantik-firewall.service")
    nat, filt = docker_rules(host)
    assert "chain DOCKER" in nat and "dport 8080" in nat and "dport 8000" in nat, nat
    for chain in ("chain DOCKER ", "chain DOCKER-USER", "chain DOCKER-ISOLATION-STAGE-1"):
        assert chain in filt, (chain, filt)


def test_containers_reach_each_other(host, project):
    # webui -> vecpipe over the project network (through the FORWARD path the firewall left alone).
    webui = project["webui"]["Name"].lstrip("/")
    probe = (
        "import urllib.request; "
        "print(urllib.request.urlopen('http://vecpipe:8000/readyz', timeout=10).status)"
    )
    assert host.check_output("docker exec %s python3 -c %s", webui, probe) == "200"


def test_proxy_reaches_webui(host):
    out = host.check_output(
        "python3 -c %s",
        "import ssl, urllib.request; c = ssl._create_unverified_context(); "
        "print(urllib.request.urlopen('https://127.0.0.1/readyz', context=c, timeout=10).status)",
    )
    assert out == "200"
