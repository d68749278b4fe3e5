"""Failed-attempt limits that hold: counted atomically (parallel guesses cannot all read the same
old count), per (user name, client address) with a doubling wait, the same answers for unknown,
disabled and existing accounts, and a limit on password changes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from semantik.webui import accounts
from semantik.webui.app import create_app
from semantik.webui.db import connect

from tests.conftest import live_server
from tests.webui.conftest import ADMIN_PASSWORD, Webui

LIMIT = 4
BACKOFF = 60


@pytest.fixture
async def guarded(webui_settings):
    settings = webui_settings.model_copy(
        update={"login_max_failures": LIMIT, "login_backoff_seconds": BACKOFF}
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://webui") as client:
            harness = Webui(app, client, client, settings, settings.documents_root)
            harness.create_user("admin", ADMIN_PASSWORD, is_admin=True)
            harness.create_user("alice", "alice-password-1")
            harness.create_user("carol", "carol-password-1")
            yield harness


def client_from(harness: Webui, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=harness.app, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://webui")


def failures(harness: Webui, scope: str, username: str, source: str) -> int:
    conn = connect(harness.settings.database_path)
    try:
        return accounts.failed_attempts(conn, scope, username, source)
    finally:
        conn.close()


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


async def test_parallel_wrong_passwords_count_exactly_and_none_succeeds_after(webui_settings):
    """40 guesses at once against the default limit (10): exactly 10 reach the password check,
    the counter says 10, and the right password is refused afterwards (was: counter 2, and 99
    guesses in one window ended in a successful login)."""
    settings = webui_settings
    limit = settings.login_max_failures
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://webui") as client:
            harness = Webui(app, client, client, settings, settings.documents_root)
            harness.create_user("alice", "alice-password-1")
            responses = await asyncio.gather(
                *(login(client, "alice", f"bad-guess-{i}") for i in range(40))
            )
            codes = sorted(r.status_code for r in responses)
            assert codes == [401] * limit + [429] * (40 - limit)
            assert failures(harness, accounts.LOGIN, "alice", "198.51.100.9") == limit
            right = await login(client, "alice", "alice-password-1")
            assert right.status_code == 429
            assert int(right.headers["Retry-After"]) > 0


async def test_unknown_disabled_and_existing_accounts_answer_alike(guarded):
    admin = await guarded.login("admin", ADMIN_PASSWORD)
    off = await guarded.client.patch(
        "/api/users/carol", json={"disabled": True},
        headers={"Authorization": f"Bearer {admin['access_token']}"},
    )
    assert off.status_code == 200

    async def sequence(username: str, right_password: str) -> list[tuple[int, dict]]:
        attempts = [f"wrong-{i}-password" for i in range(LIMIT - 1)] + [right_password] * 2
        answers = []
        for password in attempts:
            r = await login(guarded.client, username, password)
            body = r.json()
            if r.status_code == 429:  # the wait counts down: compare its shape, not its seconds
                body = {"detail": body["detail"].split(";")[0]}
            answers.append((r.status_code, body))
        return answers

    # A disabled account with its right password, an unknown name, an existing account that
    # runs into the limit: the same statuses and bodies in the same order.
    disabled = await sequence("carol", "carol-password-1")
    unknown = await sequence("nobody", "whatever-password")
    existing = await sequence("alice", "wrong-again-password")
    wrong = (401, {"detail": "wrong username or password"})
    locked = (429, {"detail": "too many failed attempts"})
    assert disabled == unknown == existing == [wrong] * LIMIT + [locked]


async def test_lockout_is_per_client_address_and_backs_off(guarded):
    attacker = client_from(guarded, "192.0.2.66")
    async with attacker:
        for _ in range(LIMIT):
            assert (await login(attacker, "alice", "not-her-password")).status_code == 401
        refused = await login(attacker, "alice", "alice-password-1")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= BACKOFF
        # alice, from her own address, is not locked out by the stranger.
        await guarded.login("alice", "alice-password-1")

        # The wait ends; one more wrong guess from the attacker doubles it.
        conn = connect(guarded.settings.database_path)
        try:
            conn.execute("UPDATE attempts SET locked_until = 0 WHERE source = '192.0.2.66'")
        finally:
            conn.close()
        assert (await login(attacker, "alice", "still-not-it")).status_code == 401
        again = await login(attacker, "alice", "alice-password-1")
        assert again.status_code == 429
        assert BACKOFF < int(again.headers["Retry-After"]) <= 2 * BACKOFF
        assert failures(guarded, accounts.LOGIN, "alice", "192.0.2.66") == LIMIT + 1


async def test_password_change_has_an_attempt_limit(guarded):
    tokens = await guarded.login("alice", "alice-password-1")
    # From another address too: the limit counts per user, whoever holds the token.
    thief = client_from(guarded, "192.0.2.99")
    thief.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    async with thief:
        for i in range(LIMIT):
            r = await thief.post(
                "/api/auth/password",
                json={"current_password": f"guess-{i}-xxxx", "new_password": "stolen-account-1"},
            )
            assert r.status_code == 401, r.text
        right = await thief.post(
            "/api/auth/password",
            json={"current_password": "alice-password-1", "new_password": "stolen-account-1"},
        )
        assert right.status_code == 429 and "Retry-After" in right.headers
    # The password did not change.
    await guarded.login("alice", "alice-password-1")
    assert failures(guarded, accounts.PASSWORD_CHANGE, "alice", "") == LIMIT


async def test_an_administrators_reset_ends_the_wait(guarded):
    for _ in range(LIMIT):
        await login(guarded.client, "alice", "wrong-password-x")
    assert (await login(guarded.client, "alice", "alice-password-1")).status_code == 429
    admin = await guarded.login("admin", ADMIN_PASSWORD)
    reset = await guarded.client.post(
        "/api/users/alice/password", json={"password": "fresh-password-1"},
        headers={"Authorization": f"Bearer {admin['access_token']}"},
    )
    assert reset.status_code == 204
    await guarded.login("alice", "fresh-password-1")


async def test_behind_the_proxy_the_forwarded_client_is_counted(guarded):
    """As `semantik serve` runs it: uvicorn trusts X-Forwarded-For from SEMANTIK_FORWARDED_ALLOW_IPS
    only, and takes the last address that proxy added, so a client cannot pick its own."""
    settings = guarded.settings
    app = create_app(settings)
    async with live_server(
        app, proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips
    ) as url, httpx.AsyncClient(base_url=url) as proxy:

        async def via_proxy(forwarded_for: str, password: str) -> int:
            r = await proxy.post(
                "/api/auth/login", json={"username": "alice", "password": password},
                headers={"X-Forwarded-For": forwarded_for},
            )
            return r.status_code

        for _ in range(LIMIT):
            assert await via_proxy("203.0.113.5", "wrong-password-1") == 401
        assert await via_proxy("203.0.113.5", "alice-password-1") == 429
        # A made-up address in front of the real one changes nothing.
        assert await via_proxy("10.9.9.9, 203.0.113.5", "alice-password-1") == 429
        # Another client of the same proxy is not locked out.
        assert await via_proxy("203.0.113.6", "alice-password-1") == 200
    assert failures(guarded, accounts.LOGIN, "alice", "203.0.113.5") == LIMIT
