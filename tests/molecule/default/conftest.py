"""Fixtures of the default scenario's client-side tests: the proxy host (`app`, the front door)
seen from the client, and the hosts behind it (`web`, `vecpipe`); `session` and `searchable`:
an admin session and an indexed collection per test module."""

import shlex
from pathlib import Path

import pytest

from tests.molecule.helpers import WebApi, address, group_host

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


@pytest.fixture(scope="module")
def session(request, host, app, app_ip, trusted):
    """The admin's session (the login answer: access and refresh token) and a collection of the
    sample documents indexed through the proxy, named after the test module; deleted afterwards
    with a fresh login (the module may have rotated the signing key or the password meanwhile)."""
    api = WebApi(host, base=f"https://{app_ip}", cafile=trusted)
    variables = app.ansible.get_variables()
    admin = variables.get("semantik_admin_user", "admin"), variables["semantik_admin_password"]
    status, tokens = api.login(*admin)
    assert status == 200, tokens
    prefix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name, job = api.index_new_collection(tokens["access_token"], prefix)
    assert job["status"] == "succeeded", job
    yield tokens, name
    status, fresh = api.login(*admin)
    assert status == 200, fresh
    api.call("DELETE", f"/api/collections/{name}", fresh["access_token"])


@pytest.fixture
def searchable(session, app, app_ip, trusted, host):
    """(access token, collection name) for the search loop: a token of a fresh login for each
    test, so a slow module never searches with an expired one (access_token_minutes)."""
    api = WebApi(host, base=f"https://{app_ip}", cafile=trusted)
    return api.admin_token(app.ansible.get_variables()), session[1]


def pytest_collection_modifyitems(items):
    """test_egress.py last: its kernel counters then cover everything the other modules did."""
    items.sort(key=lambda item: Path(str(item.fspath)).name == "test_egress.py")
