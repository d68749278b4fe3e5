"""Fixtures of the default scenario's client-side tests: the proxy host (`app`, the front door)
seen from the client, and the hosts behind it (`web`, `vecpipe`)."""

import shlex

import pytest

from tests.molecule.helpers import address, group_host

CA_FILE = "/tmp/semantik-proxy-ca.pem"


@pytest.fixture(scope="module")
def app():
    return group_host("proxy")


@pytest.fixture(scope="module")
def web():
    return group_host("webui")


@pytest.fixture(scope="module")
def vecpipe():
    return group_host("vecpipe")


@pytest.fixture(scope="module")
def app_ip(app):
    return address(app)


@pytest.fixture(scope="module")
def server_name(app):
    subject = app.check_output("openssl x509 -in /etc/ssl/semantik/fullchain.pem -noout -subject")
    return subject.split("CN", 1)[1].lstrip(" =").strip()


@pytest.fixture(scope="module")
def trusted(host, app):
    """The client trusts the proxy's self-signed certificate, as an operator would set it up."""
    pem = app.check_output("cat /etc/ssl/semantik/fullchain.pem")
    host.run_expect([0], f"printf '%s\\n' {shlex.quote(pem)} > {CA_FILE}")
    return CA_FILE
