"""frontdoor: nginx under the proxy role's hardened unit drop-in, and its JSON 503.

Debian's stock nginx.service scored 9.6 UNSAFE in `systemd-analyze security`; the drop-in keeps
the master's capabilities to binding 80/443 and handing workers to www-data, the file system
read-only but logs, temporary files and the pid file. The score is printed and must be <= 4;
`nginx -t`, reloads and (test_acme) the certbot deploy hook keep working under it.
"""

import json
import re
import time

import pytest

testinfra_hosts = ["edge", "acme"]

EXPOSURE_TARGET = 4.0
# Capability numbers (linux/capability.h): CHOWN 0, DAC_OVERRIDE 1, KILL 5, SETGID 6, SETUID 7,
# NET_BIND_SERVICE 10.
ALLOWED_CAPS = sum(1 << n for n in (0, 1, 5, 6, 7, 10))


def master_pid(host) -> int:
    return int(host.check_output("systemctl show -p MainPID --value nginx.service"))


def test_nginx_exposure_is_at_most_4(host):
    with host.sudo():
        out = host.check_output("systemd-analyze security --no-pager nginx.service")
    score = float(re.search(r"Overall exposure level for nginx\.service: ([0-9.]+)", out).group(1))
    print(f"\nnginx.service exposure on {host.backend.get_hostname()}: {score}")
    assert score <= EXPOSURE_TARGET, out


def test_the_drop_in_is_in_force(host):
    show = host.check_output(
        "systemctl show -p DropInPaths -p ProtectSystem -p NoNewPrivileges nginx.service"
    )
    assert "semantik-hardening.conf" in show and "ProtectSystem=strict" in show, show
    assert "NoNewPrivileges=yes" in show


def test_master_keeps_only_the_capabilities_it_needs_and_workers_are_www_data(host):
    with host.sudo():
        status = host.check_output(f"grep CapBnd /proc/{master_pid(host)}/status")
    bounding = int(status.split()[1], 16)
    assert bounding & ~ALLOWED_CAPS == 0, hex(bounding)
    assert bounding & (1 << 10), "CAP_NET_BIND_SERVICE missing"
    users = host.check_output(f"ps -o user= --ppid {master_pid(host)}").split()
    assert users and set(users) == {"www-data"}, users


def test_config_check_and_reload_work_under_the_sandbox(host):
    with host.sudo():
        assert host.run("nginx -t").rc == 0
        before_master = master_pid(host)
        before_workers = host.check_output(f"ps -o pid= --ppid {before_master}").split()
        host.run_expect([0], "systemctl reload nginx.service")
        deadline = time.monotonic() + 30
        while True:
            workers = host.check_output(f"ps -o pid= --ppid {before_master}").split()
            if workers and not set(workers) & set(before_workers):
                break
            assert time.monotonic() < deadline, (before_workers, workers)
            time.sleep(0.5)
        assert master_pid(host) == before_master
        assert host.service("nginx").is_running
        assert host.run("curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1/").rc == 0


@pytest.fixture
def upstream_down(host):
    if host.backend.get_hostname().endswith("acme"):
        # The stand-in upstream runs on the edge host only (reason on CI's ALLOWED_SKIPS).
        pytest.skip("checked on one host")
    with host.sudo():
        host.run_expect([0], "systemctl stop upstream.service")
    yield
    with host.sudo():
        host.run_expect([0], "systemctl start upstream.service")


def test_a_missing_upstream_gets_a_json_503_not_an_html_502(host, upstream_down):
    out = host.check_output("curl -sk -D - https://127.0.0.1/api/collections")
    head, body = out.split("\r\n\r\n", 1)
    lines = head.lower().splitlines()
    assert lines[0].startswith("http/2 503"), head
    assert "content-type: application/json" in lines, head
    assert any(re.fullmatch(r"retry-after: [1-9][0-9]*", line) for line in lines), head
    assert "strict-transport-security: max-age=63072000" in head.lower()
    assert set(json.loads(body)) == {"detail"}
