"""Role `common` on its molecule hosts: common-bookworm (defaults, systemd-timesyncd)
and common-trixie (chrony, extra servers, an extra user and package; molecule.yml)."""

import json
import os
from pathlib import Path

import pytest

from tests.molecule.helpers import ansible_playbook, check_directory

DIRECTORIES = [
    # path, owner, group, mode
    ("/etc/semantik", "root", "semantik", 0o750),
    ("/var/lib/semantik", "semantik", "semantik", 0o750),
    ("/opt/semantik", "root", "root", 0o755),
    ("/var/backups/semantik", "root", "root", 0o700),
]

SYSCTL = {
    "vm.swappiness": "10",
    "vm.max_map_count": "262144",
    "fs.inotify.max_user_watches": "524288",
    "fs.inotify.max_user_instances": "1024",
    "fs.file-max": "2097152",
    "net.core.somaxconn": "4096",
}


def is_trixie(host):
    return host.system_info.codename == "trixie"


@pytest.mark.parametrize("name", ["acl", "ca-certificates", "curl", "gnupg", "sqlite3", "tzdata"])
def test_base_packages(host, name):
    assert host.package(name).is_installed


def test_extra_packages_only_where_asked(host):
    assert host.package("jq").is_installed == is_trixie(host)


def test_semantik_user_is_a_system_user_without_login(host):
    user = host.user("semantik")
    assert user.exists
    assert user.group == "semantik"
    assert user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"
    assert user.home == "/var/lib/semantik"


def test_extra_users_from_the_list(host):
    ops = host.user("semantik-ops")
    assert ops.exists == is_trixie(host)
    if ops.exists:
        assert ops.group == "semantik-ops"
        assert ops.home == "/nonexistent"


@pytest.mark.parametrize(("path", "owner", "group", "mode"), DIRECTORIES)
def test_directories(host, path, owner, group, mode):
    check_directory(host, path, owner, group, mode)


def test_semantik_can_not_read_backups_but_can_read_config(host):
    # As the service user: group access to /etc/semantik, none to the backups.
    with host.sudo():
        assert host.run("runuser -u semantik -- test -r /etc/semantik -a -x /etc/semantik").rc == 0
        assert host.run("runuser -u semantik -- ls /var/backups/semantik").rc != 0


def test_journald_is_persistent_and_capped(host):
    conf = host.file("/etc/systemd/journald.conf.d/60-semantik.conf")
    assert conf.exists and conf.mode == 0o644
    # What journald actually merged, not just our file.
    merged = host.run("systemd-analyze cat-config systemd/journald.conf").stdout
    assert "Storage=persistent" in merged
    assert "SystemMaxUse=1G" in merged
    assert host.service("systemd-journald").is_running
    # Persistent storage is in use: the journal lives under /var/log/journal.
    assert host.file("/var/log/journal").is_directory
    files = host.run("find /var/log/journal -name '*.journal'").stdout.split()
    assert files, "journald writes no persistent journal files"


def test_journald_records_and_returns_a_message(host):
    tag = "semantik-molecule-check"
    host.run(f"logger -t {tag} hello")
    out = host.run(f"journalctl --sync; journalctl -t {tag} --no-pager -o cat").stdout
    assert "hello" in out


def test_sysctl_file(host):
    conf = host.file("/etc/sysctl.d/60-semantik.conf")
    assert conf.exists
    lines = {
        k.strip(): v.strip()
        for k, _, v in (line.partition("=") for line in conf.content_string.splitlines())
        if k.strip() and not k.startswith("#")
    }
    assert lines == SYSCTL


def test_sysctl_applied_where_writable(host):
    # In a container /proc/sys is read-only; on a host where a key is writable the
    # role must have set it at once.
    for key, want in SYSCTL.items():
        proc = "/proc/sys/" + key.replace(".", "/")
        if host.run(f"test -w {proc}").rc == 0:
            assert host.file(proc).content_string.strip() == want, key
    # Boot-time application uses systemd-sysctl, which reads our file:
    assert "60-semantik.conf" in host.run("systemd-analyze cat-config sysctl.d").stdout


def test_timesyncd_on_bookworm(host):
    if is_trixie(host):
        pytest.skip("trixie host uses chrony")
    assert host.package("systemd-timesyncd").is_installed
    svc = host.service("systemd-timesyncd")
    assert svc.is_enabled
    # In a container its ConditionVirtualization keeps it stopped by design.
    cond = host.run("systemctl show -p ConditionResult -p ActiveState systemd-timesyncd").stdout
    virt = host.run("systemd-detect-virt -c").stdout.strip()
    if virt and virt != "none":
        assert "ConditionResult=no" in cond
    else:
        assert "ActiveState=active" in cond


def test_chrony_on_trixie(host):
    if not is_trixie(host):
        pytest.skip("bookworm host uses systemd-timesyncd")
    assert host.package("chrony").is_installed
    assert not host.package("systemd-timesyncd").is_installed
    assert host.service("chrony").is_enabled
    sources = host.file("/etc/chrony/sources.d/semantik.sources").content_string
    assert "server ntp1.example.org iburst" in sources
    assert "server ntp2.example.org iburst" in sources
    # chrony.conf reads the sources directory, and chronyd accepts our file.
    assert "sourcedir /etc/chrony/sources.d" in host.file("/etc/chrony/chrony.conf").content_string
    with host.sudo():
        parsed = host.run("chronyd -p -f /etc/chrony/sources.d/semantik.sources")
    assert parsed.rc == 0, parsed.stderr
    assert "server ntp1.example.org iburst" in parsed.stdout


BAD_INVENTORIES = [
    # extra vars, what the error must name
    ({"common_timesync_provider": "ntpd"}, "common_timesync_provider"),
    ({"common_directories": [{"path": "relative/dir", "mode": "0750"}]}, "common_directories"),
    ({"common_users": [{"name": "svc"}]}, "common_users"),
    ({"common_journald_storage": "disk"}, "common_journald_storage"),
]


@pytest.mark.parametrize(("extra_vars", "names"), BAD_INVENTORIES)
def test_bad_inventory_fails_early_naming_the_variable(host, extra_vars, names, tmp_path):
    # Runs the role for real against this host with one bad variable: it must stop in
    # preflight (argument specs or asserts), before any task changes the host.
    if is_trixie(host):
        pytest.skip("checked on one host")
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    vars_file = tmp_path / "bad.json"
    vars_file.write_text(json.dumps(extra_vars))
    run = ansible_playbook(
        scenario / "converge.yml",
        "-e",
        f"@{vars_file}",
        limit=host.backend.get_hostname(),
        timeout=600,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert names in out
    assert "changed=0" in out, "a bad inventory must not change the host"


def test_drift_is_put_right_by_one_converge(host):
    # The second converge runs the user and systemd modules only for what host_drift finds
    # differing: a shell, a disabled time sync unit and a directory's mode changed by hand must
    # each be put back by one converge. Last in the file: it converges this host again.
    if is_trixie(host):
        pytest.skip("checked on one host")
    timesync = "systemd-timesyncd.service"
    with host.sudo():
        for command in (
            "usermod -s /bin/sh semantik",
            f"systemctl disable --quiet {timesync}",
            "chmod 0755 /etc/semantik",
        ):
            assert host.run(command).rc == 0, command
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    run = ansible_playbook(scenario / "converge.yml", limit=host.backend.get_hostname(), timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert host.user("semantik").shell == "/usr/sbin/nologin"
    assert host.run(f"systemctl is-enabled {timesync}").stdout.strip() == "enabled"
    check_directory(host, "/etc/semantik", "root", "semantik", 0o750)
