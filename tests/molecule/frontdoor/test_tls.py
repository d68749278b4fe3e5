"""frontdoor: the proxy on the edge host, probed from the outside host over the network.

The upstream behind nginx is a stand-in (python3 -m http.server on 127.0.0.1:8080), not the app;
the app's login and search through https are checked in the default scenario."""

import pytest

from tests.molecule.frontdoor.frontdoor_net import (
    address,
    assert_legacy_tls_refused,
    group_host,
    s_client,
)

testinfra_hosts = ["outside"]

SERVER_NAME = "edge.semantik.test"


@pytest.fixture(scope="module")
def edge():
    return group_host("edge")


@pytest.fixture(scope="module")
def edge_ip(edge):
    return address(edge)


@pytest.mark.parametrize(("flag", "name"), [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")])
def test_tls12_and_tls13_handshakes_succeed(host, edge_ip, flag, name):
    out = s_client(host, edge_ip, SERVER_NAME, flag)
    assert out.rc == 0, out.stdout
    assert f"Protocol  : {name}" in out.stdout or f"New, {name}" in out.stdout, out.stdout


@pytest.mark.parametrize(("flag", "name"), [("-tls1", "TLSv1"), ("-tls1_1", "TLSv1.1")])
def test_tls10_and_tls11_are_refused(host, edge_ip, flag, name):
    assert_legacy_tls_refused(host, edge_ip, SERVER_NAME, flag, name)


def test_nginx_adds_hsts_and_no_policy_header_of_the_apps(host, edge_ip):
    # One owner per header: webui sets CSP, Referrer-Policy and the rest (tests/webui/
    # test_headers.py); the stand-in upstream sets none, so none may appear here.
    headers = host.check_output(f"curl -sk -o /dev/null -D - https://{edge_ip}/").lower()
    assert headers.count("strict-transport-security: max-age=63072000") == 1
    for name in ("content-security-policy", "referrer-policy", "x-content-type-options",
                 "x-frame-options", "permissions-policy"):
        assert f"\n{name}:" not in headers, headers
    assert "server: nginx\r" in headers  # no version


def test_dynamic_responses_are_not_compressed(host, edge_ip):
    # BREACH: no gzip where tokens and reflected input could share a body.
    headers = host.check_output(
        f"curl -sk -o /dev/null -D - -H 'Accept-Encoding: gzip' https://{edge_ip}/"
    ).lower()
    assert "content-encoding" not in headers


def test_errors_carry_hsts_too(host, edge_ip):
    headers = host.check_output(f"curl -sk -o /dev/null -D - https://{edge_ip}/metrics").lower()
    assert headers.startswith("http/2 403")
    assert "strict-transport-security" in headers


@pytest.mark.parametrize("host_header", [None, "evil.example"])
def test_http_redirects_to_https_on_the_server_name(host, edge_ip, host_header):
    # The configured name, whatever Host the client sends.
    extra = f"-H 'Host: {host_header}'" if host_header else ""
    out = host.check_output(
        f"curl -s -o /dev/null -w '%{{http_code}} %{{redirect_url}}' {extra} "
        f"'http://{edge_ip}/a/b?q=1'"
    )
    assert out == f"301 https://{SERVER_NAME}/a/b?q=1"


def test_https_reaches_the_upstream(host, edge_ip):
    body = host.check_output(f"curl -sk https://{edge_ip}/")
    assert body == "semantik-upstream-ok"


def test_certificate_carries_the_inventory_names(host, edge_ip):
    text = host.check_output(
        f"openssl s_client -connect {edge_ip}:443 -servername {SERVER_NAME} </dev/null 2>/dev/null"
        " | openssl x509 -noout -ext subjectAltName"
    )
    assert "DNS:edge.semantik.test" in text
    assert "DNS:semantik.test" in text
    assert f"IP Address:{edge_ip}" in text


def test_metrics_only_from_allowed_addresses(host, edge, edge_ip):
    assert (
        host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' https://{edge_ip}/metrics")
        == "403"
    )
    assert edge.check_output("curl -sk https://127.0.0.1/metrics") == "semantik_up 1"


def test_login_is_rate_limited(host, edge_ip):
    codes = host.check_output(
        "for i in 1 2 3 4 5 6; do curl -sk -o /dev/null -w '%{http_code} ' -X POST "
        f"-H 'Content-Type: application/json' -d '{{}}' https://{edge_ip}/api/auth/login; done"
    ).split()
    assert codes[0] != "429"
    assert "429" in codes, codes
    # Only the login is limited.
    page = host.check_output(f"curl -sk -o /dev/null -w '%{{http_code}}' https://{edge_ip}/")
    assert page == "200"


def test_job_events_stream_through_unbuffered(host, edge_ip):
    # The stand-in sends one small event every 2 s for 6 s: buffered, none would arrive by 3 s.
    out = host.run(
        f"curl -sk -N --max-time 3 https://{edge_ip}/api/jobs/j1/events",
    )
    assert out.rc == 28, out  # curl's timeout: the stream was still open
    assert "data: step 0" in out.stdout and "data: step 1" in out.stdout, out.stdout


def test_websocket_upgrade_is_passed_on(edge):
    conf = edge.check_output("nginx -T 2>/dev/null")
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $semantik_connection;" in conf
