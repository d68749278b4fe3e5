"""frontdoor: acme mode on Debian 13, without a CA (none is reachable here).

What can be checked offline is: the placeholder certificate nginx starts with, the challenge
webroot answering over plain HTTP, certbot's renewal timer, and the deploy hook that installs a
renewed certificate and reloads nginx. The request to the CA itself is not exercised."""

import time

import pytest

from tests.molecule.frontdoor.frontdoor_net import served_fingerprint

testinfra_hosts = ["acme"]


def test_placeholder_certificate_is_served(host):
    subject = host.check_output(
        "openssl x509 -in /etc/ssl/semantik/fullchain.pem -noout -subject -ext subjectAltName"
    )
    assert "acme.semantik.test" in subject
    assert served_fingerprint(host, "acme.semantik.test")


def test_challenge_webroot_is_served_over_plain_http(host):
    host.run_expect([0], "echo token-body > /var/www/acme/.well-known/acme-challenge/test-token")
    out = host.check_output(
        "curl -s -w ' %{http_code}' http://127.0.0.1/.well-known/acme-challenge/test-token"
    )
    assert out == "token-body\n 200"
    assert (
        host.check_output(
            "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/.well-known/acme-challenge/missing"
        )
        == "404"
    )
    assert host.check_output("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/") == "301"


def test_renewal_timer_and_certbot(host):
    assert host.package("certbot").is_installed
    timer = host.service("certbot.timer")
    assert timer.is_enabled and timer.is_running
    host.run_expect([0], "certbot certificates")


@pytest.fixture
def lineage(host):
    host.run_expect(
        [0],
        "rm -rf /tmp/le/semantik && mkdir -p /tmp/le/semantik && cd /tmp/le/semantik && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj /CN=acme.semantik.test -addext subjectAltName=DNS:acme.semantik.test -days 5 "
        "-keyout privkey.pem -out fullchain.pem 2>/dev/null",
    )
    return "/tmp/le/semantik"


def test_deploy_hook_installs_a_renewed_certificate_and_reloads(host, lineage):
    new = host.check_output(f"openssl x509 -in {lineage}/fullchain.pem -noout -fingerprint -sha256")
    assert served_fingerprint(host, "acme.semantik.test") != new
    hook = "/etc/letsencrypt/renewal-hooks/deploy/semantik-nginx.sh"
    host.run_expect([0], f"RENEWED_LINEAGE={lineage} {hook}")
    # A reload replaces nginx's workers asynchronously: give them a moment.
    for _ in range(50):
        if served_fingerprint(host, "acme.semantik.test") == new:
            break
        time.sleep(0.2)
    assert served_fingerprint(host, "acme.semantik.test") == new
    assert host.file("/etc/ssl/semantik/privkey.pem").mode == 0o600
