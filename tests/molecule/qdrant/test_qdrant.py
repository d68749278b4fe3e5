"""Role `qdrant` on its molecule host (molecule/qdrant/molecule.yml).

Without QDRANT_ARTIFACT (CI here: no Qdrant binary can be obtained) the role stops short of the
binary (qdrant_binary_install=false): user, directories, config, keys and unit are checked, and
the server tests skip. With QDRANT_ARTIFACT the real server is installed and probed.
"""

import json
import os
import shlex

import pytest
import yaml

from tests.molecule.helpers import check_directory

CONFIG = "/etc/qdrant/config.yaml"
UNIT = "/etc/systemd/system/qdrant.service"
SECRETS = "/etc/qdrant/secrets"
KEYS = ("api_key", "read_only_api_key")
BINARY = "/opt/qdrant/bin/qdrant"

ARTIFACT = os.environ.get("QDRANT_ARTIFACT", "")
needs_binary = pytest.mark.skipif(
    not ARTIFACT,
    reason=(
        "qdrant server test, no QDRANT_ARTIFACT: real binary verified only where one is supplied"
    ),
)

DIRECTORIES = [
    # path, owner, group, mode: code and config belong to root, data to qdrant.
    ("/opt/qdrant", "root", "qdrant", 0o755),
    ("/opt/qdrant/bin", "root", "qdrant", 0o755),
    ("/etc/qdrant", "root", "qdrant", 0o750),
    (SECRETS, "root", "qdrant", 0o750),
    ("/var/lib/qdrant", "qdrant", "qdrant", 0o750),
    ("/var/lib/qdrant/storage", "qdrant", "qdrant", 0o750),
    ("/var/lib/qdrant/snapshots", "qdrant", "qdrant", 0o750),
]


def config(host):
    with host.sudo():
        return yaml.safe_load(host.file(CONFIG).content_string)


def uses_credentials(host):
    return "LoadCredential=api_key:" in host.file(UNIT).content_string


def http(host, path, key=None, method="GET", body=None):
    """Status of an HTTP request made on the host (the API listens on loopback there)."""
    cfg = config(host)
    address = cfg["service"]["host"]
    # A wildcard bind is probed on loopback (as the role's readiness wait does).
    address = "127.0.0.1" if address in ("0.0.0.0", "::") else address  # noqa: S104
    url = f"http://{address}:{cfg['service']['http_port']}{path}"
    script = (
        "import sys, urllib.request, urllib.error\n"
        "url, method, key, body = sys.argv[1:5]\n"
        "req = urllib.request.Request(url, method=method, data=body.encode() or None)\n"
        "req.add_header('Content-Type', 'application/json')\n"
        "key and req.add_header('api-key', open(key).read())\n"
        "try:\n"
        "    print(urllib.request.urlopen(req, timeout=10).status)\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
    )
    # The key is read from its file on the host, so it never appears in a command line or here.
    key_file = f"{SECRETS}/{key}" if key else ""
    payload = json.dumps(body) if body else ""
    args = " ".join(shlex.quote(a) for a in (url, method, key_file, payload))
    with host.sudo():
        out = host.run(f"python3 -c {shlex.quote(script)} {args}")
    assert out.rc == 0, out.stderr
    return int(out.stdout.strip())


# --- what the role sets up in every mode ----------------------------------------------------------


def test_qdrant_user_is_a_system_user_without_login(host):
    user = host.user("qdrant")
    assert user.exists
    assert user.group == "qdrant"
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/qdrant"


@pytest.mark.parametrize(("path", "owner", "group", "mode"), DIRECTORIES)
def test_directories(host, path, owner, group, mode):
    check_directory(host, path, owner, group, mode)


def test_config_file_is_root_owned_and_group_readable(host):
    f = host.file(CONFIG)
    assert (f.user, f.group, f.mode) == ("root", "qdrant", 0o640)
    # The service user reads it; it may not change it.
    with host.sudo():
        assert host.run(f"runuser -u qdrant -- test -r {CONFIG}").rc == 0
        assert host.run(f"runuser -u qdrant -- test -w {CONFIG}").rc != 0


def test_config_renders_paths_network_and_defaults(host):
    cfg = config(host)
    assert cfg["storage"] == {
        "storage_path": "/var/lib/qdrant/storage",
        "snapshots_path": "/var/lib/qdrant/snapshots",
    }
    assert cfg["service"] == {
        "host": "127.0.0.1",
        "http_port": 6333,
        "grpc_port": 6334,
        "enable_tls": False,
    }
    assert cfg["cluster"] == {"enabled": False, "p2p": {"port": 6335, "enable_tls": False}}
    assert cfg["telemetry_disabled"] is True
    assert cfg["log_level"] == "INFO"
    assert "tls" not in cfg


@pytest.mark.parametrize("name", KEYS)
def test_api_key_files_are_private_and_strong(host, name):
    f = host.file(f"{SECRETS}/{name}")
    assert f.exists
    # LoadCredential= (the default): root's files, systemd hands the service a private copy.
    # Without it the service reads them itself.
    owner = "root" if uses_credentials(host) else "qdrant"
    assert (f.user, f.group, f.mode) == (owner, owner, 0o600)
    with host.sudo():
        value = f.content_string
    assert len(value) >= 48 and value.strip() == value
    # Only the unit's owner (or root, via LoadCredential=) reads them.
    with host.sudo():
        readable_by_qdrant = host.run(f"runuser -u qdrant -- test -r {SECRETS}/{name}").rc == 0
    assert readable_by_qdrant == (owner == "qdrant")


def test_keys_differ_and_stay_out_of_config_unit_and_journal(host):
    with host.sudo():
        values = [host.file(f"{SECRETS}/{n}").content_string for n in KEYS]
        assert values[0] != values[1]
        # grep -F -f: the key is the pattern read from its file, never printed by the test.
        for name in KEYS:
            pattern = f"{SECRETS}/{name}"
            for target in (
                f"cat {CONFIG} {UNIT}",
                "journalctl --no-pager -o cat",
                "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n'",
            ):
                out = host.run(f"{target} | grep -c -F -f {pattern}")
                assert out.stdout.strip() == "0", f"{name} found in: {target}"


def test_unit_passes_systemd_analyze_verify(host):
    out = host.run(f"systemd-analyze verify {UNIT}")
    assert out.rc == 0, out.stderr
    assert "qdrant.service" not in out.stderr, out.stderr


def test_systemd_analyze_verify_would_catch_a_broken_unit(host):
    # The check above can fail: the same unit pointing at a missing program does not verify.
    out = host.run(
        "d=$(mktemp -d) && sed 's#^ExecStart=/bin/sh #ExecStart=/nonexistent/qdrant #' "
        f"{UNIT} > $d/qdrant.service && systemd-analyze verify $d/qdrant.service; "
        "rc=$?; rm -rf $d; exit $rc"
    )
    assert out.rc != 0
    assert "/nonexistent/qdrant" in out.stderr


def test_unit_runs_as_qdrant_with_hardening(host):
    with host.sudo():
        show = host.run(
            "systemctl show qdrant.service -p User -p Group -p NoNewPrivileges -p ProtectSystem "
            "-p ProtectHome -p PrivateTmp -p CapabilityBoundingSet -p ReadWritePaths"
        ).stdout
    props = dict(line.split("=", 1) for line in show.splitlines() if "=" in line)
    assert props["User"] == "qdrant" and props["Group"] == "qdrant"
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["CapabilityBoundingSet"] == ""
    assert set(props["ReadWritePaths"].split()) == {
        "/var/lib/qdrant",
        "/var/lib/qdrant/storage",
        "/var/lib/qdrant/snapshots",
    }


def test_unit_exposure_score(host):
    with host.sudo():
        out = host.run("systemd-analyze security --no-pager qdrant.service")
    line = [x for x in out.stdout.splitlines() if "Overall exposure level" in x]
    assert line, out.stdout + out.stderr
    score = float(line[0].split(":", 1)[1].split()[0])
    print(f"\nqdrant.service exposure (systemd-analyze security): {score}")
    assert score <= 2.0


def test_no_binary_and_no_service_without_an_artifact(host):
    if ARTIFACT:
        pytest.skip("QDRANT_ARTIFACT is set: the binary is installed")
    # Never faked: nothing claims to be qdrant, and nothing runs.
    assert not host.file(BINARY).exists
    assert not host.service("qdrant.service").is_running
    assert not host.service("qdrant.service").is_enabled


# --- the real server (QDRANT_ARTIFACT) ------------------------------------------------------------


@needs_binary
def test_binary_is_the_unpacked_artifact(host):
    link = host.file(BINARY)
    assert link.is_symlink
    target = host.file(link.linked_to)
    assert target.user == "root" and target.mode & 0o022 == 0
    assert host.run(f"{BINARY} --version").rc == 0


@needs_binary
def test_service_active_enabled_as_qdrant(host):
    svc = host.service("qdrant.service")
    assert svc.is_running and svc.is_enabled
    with host.sudo():
        pid = host.run("systemctl show -p MainPID --value qdrant.service").stdout.strip()
        assert pid not in ("", "0")
        # ExecStart execs the binary: the main process is qdrant itself, as the qdrant user.
        assert host.run(f"ps -o user= -p {pid}").stdout.strip() == "qdrant"
        assert host.file(f"/proc/{pid}/exe").linked_to.endswith("/qdrant")


@needs_binary
def test_readyz_answers(host):
    assert http(host, "/readyz", key="api_key") == 200


@needs_binary
def test_api_refuses_without_a_key_and_accepts_with_it(host):
    assert http(host, "/collections") in (401, 403)
    assert http(host, "/collections", key="api_key") == 200


@needs_binary
def test_read_only_key_reads_but_cannot_write(host):
    name = "/collections/molecule_probe"
    body = {"vectors": {"size": 4, "distance": "Cosine"}}
    assert http(host, "/collections", key="read_only_api_key") == 200
    assert http(host, name, key="read_only_api_key", method="PUT", body=body) in (401, 403)
    assert http(host, name, key="api_key", method="PUT", body=body) == 200
    try:
        assert http(host, name, key="read_only_api_key") == 200
    finally:
        assert http(host, name, key="api_key", method="DELETE") == 200


@needs_binary
def test_binds_only_where_configured(host):
    cfg = config(host)["service"]
    with host.sudo():
        listening = host.run("ss -Hltn").stdout.split("\n")
    for port in (cfg["http_port"], cfg["grpc_port"]):
        local = [line.split()[3] for line in listening if line.split()[3:4]]
        bound = [a for a in local if a.rsplit(":", 1)[1] == str(port)]
        assert bound == [f"{cfg['host']}:{port}"], bound


def test_rotate_secrets_replaces_the_generated_keys_once(host):
    """playbooks/rotate-secrets.yml -e rotate=qdrant_key: new keys (0600, owner kept), a journal
    line without them, and a rerun of the same request changes nothing. Last in this module: the
    keys it leaves are as valid as the first ones (with a binary, the API checks above ran
    before)."""
    import re

    from tests.molecule.helpers import REPO, ansible_playbook

    def keys():
        with host.sudo():
            return {name: host.file(f"{SECRETS}/{name}").content_string for name in KEYS}

    before = keys()
    playbook = REPO / "playbooks" / "rotate-secrets.yml"
    result = ansible_playbook(playbook, "-e", "rotate=qdrant_key", "-e", "rotate_force=true")
    assert result.returncode == 0, result.stdout[-3000:]
    after = keys()
    for name in KEYS:
        assert after[name] != before[name] and len(after[name]) >= 48
        assert before[name] not in result.stdout and after[name] not in result.stdout
        with host.sudo():
            assert host.file(f"{SECRETS}/{name}").mode == 0o600
    with host.sudo():
        journal = host.check_output("journalctl -q -o cat -t semantik-rotate")
    assert "kind=qdrant_key action=rotated" in journal
    assert not any(value in journal for value in (*before.values(), *after.values()))
    again = ansible_playbook(playbook, "-e", "rotate=qdrant_key")
    assert again.returncode == 0, again.stdout[-3000:]
    assert set(re.findall(r"changed=(\d+)", again.stdout)) == {"0"}, again.stdout[-3000:]
    assert keys() == after
