"""The split site (default scenario): proxy (+ monitoring), web and vecpipe on their own hosts,
talking over TLS with certificates of the internal CA (role internal_tls).

- each backend port answers only the group that needs it: webui's port the proxy (and the
  monitoring host, the same one here), vecpipe's port the web host (and monitoring, for its
  /metrics); every other host's packets are dropped, the client's included (test_frontdoor.py);
- from the web host vecpipe answers only over TLS (plain HTTP refused with a 400, a client that
  does not trust the internal CA fails the handshake) and only with the key (401 without it);
- webui answers the proxy only over TLS; host certificates are the internal CA's, carrying the
  service's name and the host's address; webui reaches vecpipe through its host's balancer;
- vecpipe stopped (its socket too: socket activation would start it again) is noticed: a search
  through the proxy gets a JSON error within seconds, never a hang; it works again once vecpipe
  is back.
"""

from __future__ import annotations

import time

import pytest

from tests.molecule.frontdoor.frontdoor_net import probe
from tests.molecule.helpers import WebApi, address, group_host, sh

testinfra_hosts = ["clients"]

CA = "/etc/ssl/semantik-internal/ca.crt"
# One request from a test host: prints the HTTP status, or "error <what>" when there is none.
FETCH = r"""
import ssl, sys, urllib.error, urllib.request
url, cafile, keyfile = sys.argv[1:4]
req = urllib.request.Request(url)
if keyfile:
    # The current key: the first line of the key ring ("<id> <key>" once rotated).
    req.add_header("X-API-Key", open(keyfile).read().strip().splitlines()[0].split()[-1])
ctx = ssl.create_default_context(cafile=cafile) if url.startswith("https") else None
try:
    print(urllib.request.urlopen(req, timeout=10, context=ctx).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print("error", type(e).__name__)
"""


def fetch(host, url: str, cafile: str = CA, keyfile: str = "") -> str:
    with host.sudo():
        return sh(host, "python3 -c %s %s %s %s", FETCH, url, cafile, keyfile).strip()


@pytest.mark.parametrize(
    ("source", "target", "port", "expected"),
    [
        ("proxy", "webui", 8080, "open"),
        ("webui", "vecpipe", 8000, "open"),
        # vecpipe has no business with webui's port.
        ("vecpipe", "webui", 8080, "filtered"),
    ],
)
def test_backend_ports_answer_only_the_group_that_needs_them(source, target, port, expected):
    seen = probe(group_host(source), address(group_host(target)), [port])
    assert seen[port] == expected, (source, target, port, seen)


def test_vecpipe_answers_the_web_host_only_over_tls_with_the_key():
    web, vecpipe = group_host("webui"), group_host("vecpipe")
    base = f"{address(vecpipe)}:8000/collections"
    key = "/etc/semantik/secrets/internal_api_key"
    # Plain HTTP to the TLS port: nginx refuses it (400), nothing reaches vecpipe.
    assert fetch(web, f"http://{base}", "", key) == "400"
    assert fetch(web, f"https://{base}") == "401"
    assert fetch(web, f"https://{base}", CA, key) == "200"
    # A client that does not trust the internal CA does not get through the handshake.
    assert fetch(web, f"https://{base}", "/etc/ssl/certs/ca-certificates.crt", key).startswith(
        "error"
    )


def test_webui_answers_the_proxy_only_over_tls():
    proxy, web = group_host("proxy"), group_host("webui")
    base = f"{address(web)}:8080/livez"
    assert fetch(proxy, f"http://{base}", "") == "400"
    assert fetch(proxy, f"https://{base}") == "200"


HOST_CERT = "/etc/ssl/semantik-internal/host.crt"


@pytest.mark.parametrize("group", ["webui", "vecpipe"])
def test_host_certificates_come_from_the_internal_ca(group):
    target, name = group_host(group), f"{group}.semantik.internal"
    with target.sudo():
        assert "OK" in sh(target, f"openssl verify -CAfile {CA} {HOST_CERT}")
        text = sh(target, f"openssl x509 -noout -ext subjectAltName -in {HOST_CERT}")
        assert f"DNS:{name}" in text and f"IP Address:{address(target)}" in text, text
        key = target.file("/etc/ssl/semantik-internal/host.key")
        assert (key.user, key.mode) == ("root", 0o600)


def test_webui_reaches_vecpipe_through_the_balancer():
    web = group_host("webui")
    with web.sudo():
        env = web.file("/etc/semantik/semantik.env").content_string
    assert "SEMANTIK_VECPIPE_URL=http://127.0.0.1:8100" in env.splitlines(), env


def test_vecpipe_stopped_is_noticed_at_once_not_a_hang(host, app_ip, trusted):
    vecpipe, web = group_host("vecpipe"), group_host("webui")
    api = WebApi(host, base=f"https://{app_ip}", cafile=trusted)
    with vecpipe.sudo():
        sh(vecpipe, "systemctl stop semantik-vecpipe.socket semantik-vecpipe.service")
        try:
            started = time.monotonic()
            # webui's readiness asks vecpipe through the balancer (the public /readyz, as the
            # monitoring's blackbox probe sees it).
            status, body = api.call("GET", "/readyz")
            seconds = time.monotonic() - started
            balancer = sh(web, "curl -s -m 10 -w ' %{http_code}' http://127.0.0.1:8100/readyz")
        finally:
            sh(vecpipe, "systemctl start semantik-vecpipe.socket semantik-vecpipe.service")
    print(f"\n/readyz with vecpipe stopped: {status} in {seconds:.1f}s: {body}; "
          f"balancer: {balancer}")
    assert status == 503 and isinstance(body, dict), (status, body)
    assert seconds < 30, seconds
    # The balancer answers webui with JSON, never nginx's HTML page.
    assert balancer.endswith(" 503") and balancer.startswith('{"detail":'), balancer
    # Back: ready again.
    assert api.call("GET", "/readyz")[0] == 200
