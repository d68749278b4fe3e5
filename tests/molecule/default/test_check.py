"""playbooks/check.yml, the fleet check, against the converged default site.

Green on the healthy site (and with --check, changing nothing); red, naming the host and the
cause, after semantik-webui is stopped, after the last backup is aged two days, and with a
certificate a week from expiry. Every test puts the host back as it found it: other modules run
after this one.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.molecule.helpers import REPO, ansible_playbook, run_cron_line, sh

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


@pytest.fixture()
def name(host) -> str:
    return host.backend.host


def test_green_on_the_healthy_site(host, name):
    rc, text = _check()
    assert rc == 0, text
    assert f"{name}: OK |" in text, text
    for fact in ("units 3/3 active", "release ", "cert ", "disk /var/lib/semantik"):
        assert fact in text, text
    assert "1 of 1 hosts OK" in text, text


def test_green_in_check_mode_and_changes_nothing(name):
    rc, text = _check("--check")
    assert rc == 0, text
    assert f"{name}: OK |" in text, text
    assert "changed=0" in text and "changed=1" not in text, text


def test_red_naming_a_stopped_unit(host, name):
    # The socket too: while it listens, the check's own /readyz probe would start webui again.
    sh(host, "systemctl stop semantik-webui.socket semantik-webui.service")
    try:
        rc, text = _check()
    finally:
        # ExecStartPost= waits for /readyz: the start returns once webui serves again.
        sh(host, "systemctl start semantik-webui.socket semantik-webui.service")
    assert rc != 0, text
    failure = _failure(text)
    assert f"{name}: semantik-webui.service is inactive" in failure, failure
    assert "webui not ready" in failure, failure


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


def test_red_naming_a_certificate_a_week_from_expiry(host, name):
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
