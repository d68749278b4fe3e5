"""frontdoor: bad input to the proxy role fails the play before it can break the running nginx.

These tests run the real role with ansible-playbook against the edge host, with the inventory
molecule passes to the verifier."""

import subprocess

import pytest

from tests.molecule.frontdoor.frontdoor_net import served_fingerprint
from tests.molecule.helpers import REPO, ansible_playbook

testinfra_hosts = ["edge"]

PLAYBOOK = REPO / "molecule" / "frontdoor" / "proxy-only.yml"


def run_role(tmp_path, extra_vars: str):
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(extra_vars)
    return ansible_playbook(PLAYBOOK, "-e", f"@{vars_file}", limit="edge")


@pytest.fixture
def serving(host):
    """nginx's master pid, served certificate and page before the test."""
    before = (
        host.check_output("cat /run/nginx.pid"),
        served_fingerprint(host),
        host.check_output("curl -sk https://127.0.0.1/"),
    )
    assert before[2] == "semantik-upstream-ok"
    return before


def assert_still_serving(host, before):
    assert host.check_output("cat /run/nginx.pid") == before[0]
    assert served_fingerprint(host) == before[1]
    assert host.check_output("curl -sk https://127.0.0.1/") == before[2]
    assert host.run("nginx -t").rc == 0


def test_broken_snippet_fails_at_validation_and_nginx_keeps_serving(host, tmp_path, serving):
    result = run_role(
        tmp_path,
        "proxy_extra_snippets:\n  - name: broken\n    content: 'this_is_not_a_directive on;'\n",
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "Install the extra snippets" in out
    # nginx's own message (quotes arrive JSON-escaped in ansible's output)
    assert "unknown directive" in out and "this_is_not_a_directive" in out
    assert not host.file("/etc/nginx/semantik.d/broken.conf").exists
    assert_still_serving(host, serving)


def test_mismatched_provided_key_is_refused(host, tmp_path, serving):
    cert, other_key = tmp_path / "cert.pem", tmp_path / "other.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=edge.semantik.test",
            "-days",
            "30",
            "-keyout",
            str(tmp_path / "cert.key"),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            str(other_key),
        ],
        check=True,
        capture_output=True,
    )
    result = run_role(
        tmp_path,
        "proxy_certificate_mode: provided\n"
        f"proxy_provided_certificate: {cert}\nproxy_provided_private_key: {other_key}\n",
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "does not belong to" in out and "proxy_provided_private_key" in out
    # The key never reached the host.
    assert other_key.read_text() not in host.check_output("cat /etc/ssl/semantik/privkey.pem")
    assert_still_serving(host, serving)
