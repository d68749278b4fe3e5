"""The front door of the whole site (default scenario): the client machine, in no Semantik group,
sees only nginx on the proxy host.

- TLS 1.2/1.3 handshakes succeed, 1.0/1.1 are refused, HSTS is sent, HTTP redirects to HTTPS;
- login and search work through https, with the certificate verified (the self-signed one the
  proxy role made, carrying the proxy host's address);
- from the client only 22, 80 and 443 of the proxy get through; 8000, 8080 and 6333 are dropped
  there and on the web and vecpipe hosts, while the services still answer on their own hosts'
  loopback.
"""

import shlex

import pytest

# The probes shared with the frontdoor scenario (one copy, kept next to those tests); the
# fixtures app, app_ip, server_name and trusted are in conftest.py.
from tests.molecule.frontdoor.frontdoor_net import assert_legacy_tls_refused, probe, s_client
from tests.molecule.helpers import WebApi, address, group_host, https

testinfra_hosts = ["clients"]


@pytest.mark.parametrize(("flag", "name"), [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_tls12_and_tls13_handshakes_succeed(host, app_ip, server_name, flag, name):
    out = s_client(host, app_ip, server_name, flag)
    assert out.rc == 0, out.stdout
    assert f"Protocol  : {name}" in out.stdout or f"New, {name}" in out.stdout, out.stdout


@pytest.mark.parametrize(("flag", "name"), [("-tls1", "TLSv1"), ("-tls1_1", "TLSv1.1")])
def test_tls10_and_tls11_are_refused(host, app_ip, server_name, flag, name):
    assert_legacy_tls_refused(host, app_ip, server_name, flag, name)


def test_hsts_is_sent(host, app_ip, trusted):
    status, _, headers = https(host, app_ip, trusted, "GET", "/")
    assert status == 200
    assert headers["strict-transport-security"].startswith("max-age=63072000")
    assert headers["x-content-type-options"] == "nosniff"


def test_http_redirects_to_https_on_the_configured_name(host, app_ip, server_name):
    script = (
        "import http.client, sys; c = http.client.HTTPConnection(sys.argv[1], 80, timeout=10); "
        "c.request('GET', '/api/health?x=1', headers={'Host': sys.argv[2]}); r = c.getresponse(); "
        "print(r.status, r.getheader('Location'))"
    )
    for host_header in (app_ip, "evil.example"):  # the client's Host header is never echoed
        out = host.check_output(f"python3 -c {shlex.quote(script)} {app_ip} {host_header}")
        assert out == f"301 https://{server_name}/api/health?x=1"


@pytest.mark.parametrize("path", ["/", "/api/collections", "/api/health", "/nope"])
def test_policy_headers_are_sent_once_through_nginx(host, app_ip, trusted, path):
    # The app owns the per-response headers, nginx only HSTS: each arrives exactly once.
    status, _, headers = https(host, app_ip, trusted, "GET", path)
    assert status in (200, 401, 404), (path, status)
    for name in ("content-security-policy", "referrer-policy", "x-content-type-options",
                 "x-frame-options", "strict-transport-security"):
        assert len(headers.all(name)) == 1, (path, name, headers.pairs)
    assert headers["referrer-policy"] == "same-origin"
    if path.startswith("/api/"):
        assert headers.all("cache-control") == ["no-store"], headers.pairs


def test_metrics_are_not_served_to_the_client(host, app_ip, trusted):
    status, _, _ = https(host, app_ip, trusted, "GET", "/metrics")
    assert status == 403


def test_login_and_search_through_https(host, app, app_ip, trusted):
    api = WebApi(host, base=f"https://{app_ip}", cafile=trusted)
    variables = app.ansible.get_variables()
    status, _ = api.login(variables["semantik_admin_user"], "x")
    assert status == 401
    token = api.admin_token(variables)
    name, job = api.index_new_collection(token, "frontdoor")
    try:
        assert job["status"] == "succeeded", job
        assert api.top_hit(token, name, "how do bees pollinate flowers").endswith("honeybees.txt")
    finally:
        api.call("DELETE", f"/api/collections/{name}", token)


def test_client_reaches_only_ssh_http_https(host, app_ip):
    seen = probe(host, app_ip, [22, 80, 443, 8000, 8080, 6333])
    # Nothing need listen on 22 in the test host: a refusal shows the packet got through.
    assert seen[22] in ("open", "refused"), seen
    assert seen[80] == seen[443] == "open", seen
    for port in (8000, 8080, 6333):
        assert seen[port] == "filtered", (port, seen)


@pytest.mark.parametrize("group", ["webui", "vecpipe"])
def test_client_reaches_nothing_but_ssh_on_the_hosts_behind_the_proxy(host, group):
    seen = probe(host, address(group_host(group)), [22, 80, 443, 8000, 8080, 6333])
    assert seen[22] in ("open", "refused"), seen
    for port in (80, 443, 8000, 8080, 6333):
        assert seen[port] == "filtered", (group, port, seen)


@pytest.mark.parametrize(("group", "port"), [("webui", 8080), ("vecpipe", 8000)])
def test_services_still_answer_on_their_hosts_loopback(group, port):
    seen = probe(group_host(group), "127.0.0.1", [port])
    assert seen == {port: "open"}, seen
