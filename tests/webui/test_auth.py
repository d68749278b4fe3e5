"""Login, rotating refresh tokens, per-session revocation, token validation, admin-only routes.
These need no model: vecpipe is never called, so they run on a webui whose vecpipe is absent."""

from __future__ import annotations

import time

import jwt
import pytest
from semantik.webui import security
from semantik.webui.app import ConfigurationError, create_app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_webui_refuses_to_start_without_a_jwt_secret(test_settings):
    with pytest.raises(ConfigurationError, match="SEMANTIK_JWT_SECRET is not set"):
        create_app(test_settings.model_copy(update={"jwt_secret": None}))
    weak = test_settings.model_copy(update={"jwt_secret": type(test_settings.jwt_secret)("short")})
    with pytest.raises(ConfigurationError, match="shorter than"):
        create_app(weak)


async def test_login_and_wrong_password(auth_webui):
    c = auth_webui.client
    bad = await c.post("/api/auth/login", json={"username": "alice", "password": "nope-nope"})
    assert bad.status_code == 401 and bad.json()["detail"] == "wrong username or password"
    unknown = await c.post("/api/auth/login", json={"username": "bob", "password": "whatever1"})
    assert unknown.status_code == 401 and unknown.json() == bad.json()  # no user enumeration
    tokens = await auth_webui.login("alice", "alice-password-1")
    me = await c.get("/api/auth/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    assert me.json()["is_admin"] is False
    assert (await c.get("/api/auth/me")).status_code == 401


async def test_refresh_rotates_and_reuse_revokes_that_session_only(auth_webui):
    c = auth_webui.client
    first = await auth_webui.login("alice", "alice-password-1")
    other = await auth_webui.login("alice", "alice-password-1")  # a second device
    rotated = await c.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != first["refresh_token"]
    assert new["session_id"] == first["session_id"]
    assert (await c.get("/api/auth/me", headers=bearer(new["access_token"]))).status_code == 200

    # The spent token comes back (stolen copy): refused, and its session is revoked.
    reuse = await c.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and "already used" in reuse.json()["detail"]
    assert (await c.get("/api/auth/me", headers=bearer(new["access_token"]))).status_code == 401
    again = await c.post("/api/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 401
    # The other session is untouched.
    assert (await c.get("/api/auth/me", headers=bearer(other["access_token"]))).status_code == 200
    ok = await c.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert ok.status_code == 200
    bogus = await c.post("/api/auth/refresh", json={"refresh_token": "made-up"})
    assert bogus.status_code == 401


async def test_logout_and_revoking_one_session_leave_others_alone(auth_webui):
    c = auth_webui.client
    laptop = await auth_webui.login("alice", "alice-password-1")
    phone = await auth_webui.login("alice", "alice-password-1")
    tablet = await auth_webui.login("alice", "alice-password-1")
    sessions = (await c.get("/api/auth/sessions", headers=bearer(laptop["access_token"]))).json()
    assert {s["id"] for s in sessions} == {laptop["session_id"], phone["session_id"],
                                           tablet["session_id"]}
    # From the laptop, revoke the lost phone.
    revoke = await c.delete(
        f"/api/auth/sessions/{phone['session_id']}", headers=bearer(laptop["access_token"])
    )
    assert revoke.status_code == 204
    assert (await c.get("/api/auth/me", headers=bearer(phone["access_token"]))).status_code == 401
    refresh = await c.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert refresh.status_code == 401
    assert (await c.get("/api/auth/me", headers=bearer(laptop["access_token"]))).status_code == 200
    # Logout ends the tablet only.
    out = await c.post("/api/auth/logout", headers=bearer(tablet["access_token"]))
    assert out.status_code == 204
    assert (await c.get("/api/auth/me", headers=bearer(tablet["access_token"]))).status_code == 401
    assert (await c.get("/api/auth/me", headers=bearer(laptop["access_token"]))).status_code == 200
    # Someone else's session id is not found (no cross-user revocation).
    admin = await auth_webui.login("admin", auth_webui.admin_password)
    cross = await c.delete(
        f"/api/auth/sessions/{admin['session_id']}", headers=bearer(laptop["access_token"])
    )
    assert cross.status_code == 404
    assert (await c.get("/api/auth/me", headers=bearer(admin["access_token"]))).status_code == 200


async def test_expired_tampered_and_forged_tokens_are_refused(auth_webui):
    c = auth_webui.client
    secret = auth_webui.settings.jwt_secret.get_secret_value()
    tokens = await auth_webui.login("alice", "alice-password-1")
    claims = security.decode_access_token(secret, tokens["access_token"])

    expired, _ = security.create_access_token(
        secret, claims.user_id, claims.session_id, minutes=1, now=time.time() - 3600
    )
    response = await c.get("/api/auth/me", headers=bearer(expired))
    assert response.status_code == 401 and response.json()["detail"] == "access token expired"

    head, body, signature = tokens["access_token"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    tampered = await c.get("/api/auth/me", headers=bearer(f"{head}.{body}.{flipped}"))
    assert tampered.status_code == 401

    payload = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    admin_id = 1
    wrong_key = "not-the-secret-but-long-enough-for-hs256"
    forged = jwt.encode({**payload, "sub": str(admin_id)}, wrong_key, algorithm="HS256")
    assert (await c.get("/api/auth/me", headers=bearer(forged))).status_code == 401
    unsigned = jwt.encode({**payload, "sub": str(admin_id)}, None, algorithm="none")
    assert (await c.get("/api/auth/me", headers=bearer(unsigned))).status_code == 401
    # Valid signature but a claim set for another user's session: refused too.
    mixed, _ = security.create_access_token(secret, admin_id, claims.session_id, minutes=5)
    assert (await c.get("/api/auth/me", headers=bearer(mixed))).status_code == 401


async def test_non_admin_cannot_manage_users_and_admin_can(auth_webui):
    c = auth_webui.client
    alice = bearer((await auth_webui.login("alice", "alice-password-1"))["access_token"])
    for method, url, body in (
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"username": "eve", "password": "eve-password-1"}),
        ("PATCH", "/api/users/admin", {"disabled": True}),
        ("POST", "/api/users/admin/password", {"password": "hijacked-password"}),
        ("POST", "/api/collections", {"name": "x", "source": "."}),
        ("GET", "/api/sources", None),
    ):
        response = await c.request(method, url, json=body, headers=alice)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["detail"] == "administrator rights required"

    admin = bearer((await auth_webui.login("admin", auth_webui.admin_password))["access_token"])
    created = await c.post(
        "/api/users", json={"username": "bob", "password": "bob-password-1"}, headers=admin
    )
    assert created.status_code == 201 and created.json()["is_admin"] is False
    dup = await c.post(
        "/api/users", json={"username": "BOB", "password": "bob-password-1"}, headers=admin
    )
    assert dup.status_code == 409
    short = await c.post("/api/users", json={"username": "carl", "password": "x"}, headers=admin)
    assert short.status_code == 400 and "at least 8" in short.json()["detail"]
    names = [u["username"] for u in (await c.get("/api/users", headers=admin)).json()]
    assert names == ["admin", "alice", "bob"]

    # Disabling signs alice out at once and blocks new logins; enabling lets her back in.
    off = await c.patch("/api/users/alice", json={"disabled": True}, headers=admin)
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert (await c.get("/api/auth/me", headers=alice)).status_code == 401
    login = await c.post(
        "/api/auth/login", json={"username": "alice", "password": "alice-password-1"}
    )
    # Refused like a wrong password: the answer does not tell that the password was right.
    assert login.status_code == 401
    assert login.json() == {"detail": "wrong username or password"}
    await c.patch("/api/users/alice", json={"disabled": False}, headers=admin)
    await auth_webui.login("alice", "alice-password-1")

    reset = await c.post(
        "/api/users/alice/password", json={"password": "new-alice-pass"}, headers=admin
    )
    assert reset.status_code == 204
    await auth_webui.login("alice", "new-alice-pass")
    self_disable = await c.patch("/api/users/admin", json={"disabled": True}, headers=admin)
    assert self_disable.status_code == 400


async def test_repeated_failed_logins_are_throttled(auth_webui):
    settings = auth_webui.settings
    c = auth_webui.client
    for _ in range(settings.login_max_failures):
        r = await c.post("/api/auth/login", json={"username": "alice", "password": "wrong-pass"})
        assert r.status_code == 401
    blocked = await c.post(
        "/api/auth/login", json={"username": "alice", "password": "alice-password-1"}
    )
    assert blocked.status_code == 429
    # Other users are not affected.
    await auth_webui.login("admin", auth_webui.admin_password)
