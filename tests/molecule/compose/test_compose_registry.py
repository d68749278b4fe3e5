"""The site registry (role registry) on compose-registry and the compose host pulling from it: the
app runs from the pulled image; without or with wrong credentials the registry answers 401 and
Docker's pull is refused; TLS with the role's certificate; the port is open to the pulling host
(and the controller that pushes) only, not to another machine on the same network."""

import json
import subprocess

import pytest

from tests.molecule.helpers import address, group_host, sh

testinfra_hosts = ["registry"]

PORT = 5000
# Checked on the compose host against the certificate its dockerd trusts.
_GET = r"""
import base64, ssl, sys, urllib.request, urllib.error
url, cafile, user, password = sys.argv[1:5]
manifest = "application/vnd.docker.distribution.manifest.v2+json"
req = urllib.request.Request(url, headers={"Accept": manifest})
if user:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    req.add_header("Authorization", "Basic " + token)
ctx = ssl.create_default_context(cafile=cafile)
try:
    with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    print(e.code)
"""


@pytest.fixture(scope="module")
def client():
    return group_host("webui")


@pytest.fixture(scope="module")
def settings(client):
    # The inventory's values as written (testinfra does not render templates): the scenario sets
    # semantik_image_registry to "<the registry host's name>:5000" and its password to
    # registry_password.
    v = client.ansible.get_variables()
    registry = group_host("registry").ansible.get_variables()["inventory_hostname"] + f":{PORT}"
    return {
        "registry": registry,
        "image": f"{registry}/semantik:cpu",
        "user": v["semantik_image_registry_username"],
        "password": v["registry_password"],
        "ca": f"/etc/docker/certs.d/{registry}/ca.crt",
    }


def _status(client, settings, user: str = "", password: str = "") -> int:
    url = f"https://{settings['registry']}/v2/semantik/manifests/cpu"
    out = sh(client, "python3 -c %s %s %s %s %s", _GET, url, settings["ca"], user, password)
    return int(out.strip())


def test_registry_package_service_and_bind(host):
    assert host.package("docker-registry").is_installed
    unit = host.service("docker-registry.service")
    assert unit.is_enabled and unit.is_running
    assert sh(host, "systemctl show -P User docker-registry.service").strip() == "docker-registry"
    assert sh(host, "systemctl show -P NoNewPrivileges docker-registry.service").strip() == "yes"
    listening = sh(host, "ss -Hltn 'sport = :%s'", str(PORT)).split()
    assert f"{address(host)}:{PORT}" in listening, listening
    assert f"0.0.0.0:{PORT}" not in listening and f"*:{PORT}" not in listening


def test_registry_came_from_the_bundle(host):
    policy = sh(host, "apt-cache policy docker-registry")
    assert "file:/var/lib/semantik-bundle/apt" in policy, policy


def test_htpasswd_is_bcrypt_private_and_storage_own(host):
    f = host.file("/etc/docker/registry/htpasswd")
    assert (f.user, f.group, f.mode) == ("root", "docker-registry", 0o640)
    user, _, digest = f.content_string.strip().partition(":")
    assert user == "semantik" and digest.startswith(("$2y$", "$2b$")), user
    assert "molecule-registry-password" not in sh(host, "cat /etc/docker/registry/config.yml")
    storage = host.file("/var/lib/semantik-registry")
    assert (storage.user, storage.mode) == ("docker-registry", 0o750)
    key = host.file("/etc/docker/registry/tls/privkey.pem")
    assert (key.user, key.group, key.mode) == ("root", "docker-registry", 0o640)
    # The pushed image's repository is in the registry's own storage directory.
    repositories = "/var/lib/semantik-registry/docker/registry/v2/repositories"
    assert host.file(repositories + "/semantik").is_directory


def test_app_runs_from_the_pulled_image(client, settings):
    names = sh(
        client, "docker ps --filter label=com.docker.compose.project=semantik --format '{{.Names}}'"
    )
    inspected = json.loads(sh(client, "docker inspect " + " ".join(names.split())))
    services = {c["Config"]["Labels"]["com.docker.compose.service"] for c in inspected}
    assert services >= {"vecpipe", "webui"}
    for c in inspected:
        assert c["Config"]["Image"] == settings["image"], c["Name"]
        assert c["State"]["Health"]["Status"] == "healthy", c["Name"]
    digests = json.loads(
        sh(client, "docker image inspect --format '{{json .RepoDigests}}' %s", settings["image"])
    )
    # RepoDigests name the registry only for an image that came from it (a `docker load` has none).
    assert any(d.startswith(settings["registry"] + "/semantik@sha256:") for d in digests), digests


def test_pull_with_the_right_credentials(client, settings):
    assert _status(client, settings, settings["user"], settings["password"]) == 200
    pulled = client.run("docker pull --quiet %s", settings["image"])
    assert pulled.rc == 0, pulled.stderr


def test_without_or_with_wrong_credentials_refused(client, settings):
    assert _status(client, settings) == 401
    assert _status(client, settings, settings["user"], "wrong-password") == 401
    assert _status(client, settings, "intruder", settings["password"]) == 401
    # Docker itself, with no stored login (an empty client configuration): refused.
    anonymous = client.run(
        "d=$(mktemp -d) && DOCKER_CONFIG=$d docker pull --quiet %s; rc=$?; rm -rf $d; exit $rc",
        settings["image"],
    )
    assert anonymous.rc != 0 and "no basic auth credentials" in anonymous.stderr, anonymous.stderr
    wrong = client.run(
        "d=$(mktemp -d) && echo wrong-password"
        " | DOCKER_CONFIG=$d docker login -u %s --password-stdin %s; rc=$?; rm -rf $d; exit $rc",
        settings["user"],
        settings["registry"],
    )
    assert wrong.rc != 0 and "401" in wrong.stderr + wrong.stdout, wrong.stderr


def test_tls_with_the_roles_certificate(client, settings):
    # Against a CA that is not the registry's: the TLS handshake fails (no plain HTTP either).
    out = client.run(
        "python3 -c %s %s %s '' ''",
        _GET,
        f"https://{settings['registry']}/v2/",
        "/etc/ssl/certs/ca-certificates.crt",
    )
    assert out.rc != 0 and "CERTIFICATE_VERIFY_FAILED" in out.stderr, out.stderr


def test_port_closed_to_a_machine_outside_the_pulling_group(host):
    """A throwaway container on the scenario's network (in no inventory group) cannot connect;
    the pulling compose host can (the tests above), and the firewall names only it and the
    controller's gateway address."""
    registry_address = address(host)
    name = host.ansible.get_variables()["inventory_hostname"]
    networks = json.loads(
        subprocess.check_output(
            ["docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", name], text=True
        )
    )
    probe = (
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('{registry_address}', {PORT}), timeout=5); print('open')\n"
        "except OSError as e:\n"
        "    print('closed', e)\n"
    )
    out = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            next(iter(networks)),
            "--entrypoint",
            "python3",
            "semantik-testhost:trixie",
            "-c",
            probe,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.startswith("closed"), out
    # The compose host's address on this network (eth0; its first address is the inner docker0).
    client = sh(group_host("webui"), "ip -4 -o addr show dev eth0").split()[3].split("/")[0]
    assert host.run("nft get element inet semantik registry_clients_v4 '{ %s }'", client).rc == 0
