"""Crafted requests that used to end in a 500 (NaN/Infinity, lone surrogates, integers past
SQLite's range, runaway nesting), and what a real server does after an unexpected error: a JSON
500 with ``Connection: close``, and the next request answered normally."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from semantik.shared.api import StrictJSONRoute
from semantik.webui.app import create_app

from tests.conftest import live_server
from tests.webui.conftest import ADMIN_PASSWORD

# Raw bodies: json.dumps would refuse to write most of these.
NAN_BODIES = [
    b'{"refresh_token": NaN}',
    b'{"refresh_token": Infinity}',
    b'{"refresh_token": -Infinity}',
    b'{"refresh_token": 1e400}',
    b'{"refresh_token": "ok", "extra": [1, {"deep": NaN}]}',
]
SURROGATE = b'"\\ud800"'


def raw_post(client: httpx.AsyncClient, path: str, body: bytes, **kwargs) -> object:
    return client.post(path, content=body, headers={"Content-Type": "application/json"}, **kwargs)


def assert_422(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 422, (response.status_code, response.text)
    detail = response.json()["detail"]
    text = json.dumps(detail)
    for word in words:
        assert word in text, text


@pytest.mark.parametrize("body", NAN_BODIES)
async def test_non_finite_numbers_are_422_without_login(auth_webui, body):
    r = await raw_post(auth_webui.client, "/api/auth/refresh", body)
    assert_422(r, "invalid JSON")


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/api/auth/login", b'{"username": %s, "password": "password-123"}'),
        ("/api/auth/login", b'{"username": "alice", "password": %s}'),
        ("/api/auth/refresh", b'{"refresh_token": %s}'),
        ("/api/auth/login", b'{%s: 1, "username": "alice", "password": "password-123"}'),
    ],
)
async def test_lone_surrogates_are_422(auth_webui, path, template):
    r = await raw_post(auth_webui.client, path, template % SURROGATE)
    assert_422(r, "surrogate")


async def test_surrogate_pairs_are_ordinary_text(auth_webui):
    # "\ud83d\ude00" is one emoji written as a valid pair: a normal wrong password.
    body = b'{"username": "alice", "password": "pass\\ud83d\\ude00word"}'
    r = await raw_post(auth_webui.client, "/api/auth/login", body)
    assert r.status_code == 401


async def test_authenticated_routes_refuse_the_same_input(auth_webui):
    tokens = await auth_webui.login("admin", ADMIN_PASSWORD)
    async with auth_webui.authed(tokens["access_token"]) as admin:
        big = 2**63
        for path in (f"/api/jobs/{big}", f"/api/jobs/{big}/events", "/api/jobs/-1"):
            assert_422(await admin.get(path))
        assert_422(await admin.post(f"/api/jobs/{big}/cancel"))
        r = await admin.get(f"/api/collections/none/files?offset={big}")
        assert_422(r, "offset")
        assert_422(await admin.get("/api/collections/none/files?offset=1e30"), "offset")
        for path, template in [
            ("/api/search", b'{"query": %s}'),
            ("/api/users", b'{"username": %s, "password": "password-123"}'),
            ("/api/collections", b'{"name": "c1", "source": %s}'),
            ("/api/auth/password", b'{"current_password": %s, "new_password": "abcdefgh1"}'),
        ]:
            assert_422(await raw_post(admin, path, template % SURROGATE), "surrogate")
        assert_422(await raw_post(admin, "/api/search", b'{"query": "x", "k": NaN}'))
        assert_422(await raw_post(admin, "/api/search", b'{"query": "x", "k": %d}' % big))


async def test_malformed_bodies_are_422(auth_webui):
    c = auth_webui.client
    assert_422(await raw_post(c, "/api/auth/refresh", b"[" * 100_000 + b"]" * 100_000))
    assert_422(await raw_post(c, "/api/auth/refresh", b'{"refresh_token": "\xff\xfe"}'), "UTF-8")
    assert_422(await raw_post(c, "/api/auth/refresh", b'{"refresh_token": ' + b"9" * 5000 + b"}"))


async def test_a_large_body_is_413_with_a_message(auth_webui):
    limit = auth_webui.settings.webui_max_request_bytes
    body = json.dumps({"refresh_token": "x" * (limit + 10)}).encode()
    r = await raw_post(auth_webui.client, "/api/auth/refresh", body)
    assert r.status_code == 413
    assert r.json() == {"detail": f"request body larger than {limit} bytes"}


def _exchange(port: int, requests: list[bytes]) -> list[bytes]:
    """Send each request on ONE keep-alive connection, reading each answer before the next."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = sock.makefile("rb")
        for request in requests:
            try:
                sock.sendall(request)
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    byte = reader.read(1)
                    if not byte:
                        break
                    head += byte
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                answers.append(head + reader.read(length))
            except OSError:  # reset: the server closed the connection
                answers.append(b"")
    return answers


async def test_after_an_unexpected_error_the_next_request_is_answered(webui_settings):
    app = create_app(webui_settings)

    def boom() -> None:
        raise RuntimeError("a bug nobody mapped")

    app.router.add_api_route("/api/boom", boom, route_class_override=StrictJSONRoute)
    app.router.routes.insert(0, app.router.routes.pop())  # before the static files' catch-all
    async with live_server(app) as url:
        port = int(url.rsplit(":", 1)[1])
        get = b"GET %s HTTP/1.1\r\nHost: webui\r\n\r\n"
        boom_answer, after = await asyncio.to_thread(
            _exchange, port, [get % b"/api/boom", get % b"/livez"]
        )
        head, _, body = boom_answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 500")
        assert b"connection: close" in head.lower()  # the proxy must not reuse it: it says so
        assert json.loads(body) == {"detail": "internal server error"}
        assert after == b""  # the server closed the connection it announced it would close

        # A client with a single pooled connection (as nginx's upstream keepalive): every
        # request after a 500 is answered normally.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=url, limits=limits) as client:
            for _ in range(20):
                assert (await client.get("/api/boom")).status_code == 500
                assert (await client.get("/livez")).status_code == 200
