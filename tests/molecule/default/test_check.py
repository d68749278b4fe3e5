"""playbooks/check.yml, the fleet check, against the converged default site.

Green on the healthy site, one line per host (proxy, web, vecpipe; and with --check, changing
nothing); red, naming the host and the cause, after semantik-webui (web host) or semantik-vecpipe
(vecpipe host) is stopped, after the last backup is aged two days (web host), and with the proxy's
certificate a week from expiry. Every test puts the host back as it found it: other modules run
after this one.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.molecule.helpers import REPO, ansible_playbook, group_host, run_cron_line, sh

testinfra_hosts = ["webui"]

CHECK = REPO / "playbooks" / "check.yml"
STATUS = "/var/backups/semantik/status.json"
TLS_DIR = "/etc/ssl/semantik"
SAVED = "/root/test-check-saved"


def _check(*args: str) -> tuple[int, str]:
    """check.yml over the whole molecule inventory: (exit status, output on one line)."""
    out = ansible_playbook(CHECK, *args)
    return out.returncode, " ".join((out.stdout + out.stderr).split())


def _failure(text: str) -> str:
    """The summary's failure message (the play's last words)."""
    assert "Site check FAILED." in text, text
    return text[text.index("Site check FAILED.") :]


def _line(text: str, name: str) -> str:
    """The host's report line (up to the next host's)."""
    assert f"{name}: " in text, text
    return text[text.index(f"{name}: ") :].split(" | PROBLEMS", 1)[0][:400]


@pytest.fixture()
def name(host) -> str:
    return host.backend.host


def test_green_on_the_healthy_site(name):
    rc, text = _check()
    assert rc == 0, text
    proxy, vecpipe = (group_host(g).backend.host for g in ("proxy", "vecpipe"))
    for host_name, facts in (
        (name, ("units 1/1 active", "release ", "disk /var/lib/semantik")),
        (vecpipe, ("units 1/1 active", "release ", "disk /var/lib/semantik")),
        (proxy, ("units 1/1 active", "cert ")),
    ):
        assert f"{host_name}: OK |" in text, text
        line = _line(text, host_name)
        for fact in facts:
            assert fact in line, (host_name, fact, line)
    assert "3 of 3 hosts OK" in text, text


def test_green_in_check_mode_and_changes_nothing(name):
    rc, text = _check("--check")
    assert rc == 0, text
    assert f"{name}: OK |" in text, text
    assert "changed=0" in text and "changed=1" not in text, text


@pytest.mark.parametrize("group", ["webui", "vecpipe"])
def test_red_naming_a_stopped_unit(group):
    target = group_host(group)
    unit = f"semantik-{group}"
    # The socket too: while it listens, the check's own /readyz probe would start it again.
    sh(target, f"systemctl stop {unit}.socket {unit}.service")
    try:
        rc, text = _check()
    finally:
        # ExecStartPost= waits for /readyz: the start returns once the service serves again.
        sh(target, f"systemctl start {unit}.socket {unit}.service")
    assert rc != 0, text
    failure = _failure(text)
    assert f"{target.backend.host}: {unit}.service is inactive" in failure, failure
    assert f"{group} not ready" in failure, failure


def test_red_naming_an_old_backup(host, name):
    if host.run(f"grep -q '\"last_success\": [0-9]' {STATUS}").rc != 0:
        run_cron_line(host, "/etc/cron.d/semantik-backup", "semantik-backup")
    sh(host, f"cp -p {STATUS} {STATUS}.saved")
    try:
        status = json.loads(sh(host, f"cat {STATUS}"))
        status["last_success"] = time.time() - 2 * 86400 - 60
        sh(host, f"printf '%s' {json.dumps(json.dumps(status))} > {STATUS}")
        rc, text = _check()
    finally:
        sh(host, f"mv -f {STATUS}.saved {STATUS}")
    assert rc != 0, text
    failure = _failure(text)
    assert f"{name}: last backup 2.0d old (> 26h, check_backup_max_age_hours)" in failure, failure
    # Back as it was: green again.
    assert _check()[0] == 0


def test_red_naming_a_certificate_a_week_from_expiry():
    host = group_host("proxy")
    name = host.backend.host
    sh(host, f"mkdir -p {SAVED} && cp -p {TLS_DIR}/fullchain.pem {TLS_DIR}/privkey.pem {SAVED}/")
    try:
        sh(
            host,
            f"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7"
            f" -subj /CN=expiring.test -keyout {TLS_DIR}/privkey.pem -out {TLS_DIR}/fullchain.pem",
        )
        sh(host, "nginx -t && systemctl reload nginx")
        rc, text = _check()
    finally:
        sh(host, f"cp -p {SAVED}/fullchain.pem {SAVED}/privkey.pem {TLS_DIR}/ && rm -rf {SAVED}")
        sh(host, "nginx -t && systemctl reload nginx")
    assert rc != 0, text
    failure = _failure(text)
    assert f"{name}: certificate {TLS_DIR}/fullchain.pem expires in" in failure, failure
    assert "(< 14, check_certificate_min_days)" in failure, failure
