"""JWT key rings: tokens carry the key id, webui signs with the current key and accepts every
key still in the ring (a rotation signs nobody out), a dropped key's tokens are refused, and a
single-key secret from before key ids keeps working as the first entry of the ring.
The key-ring file tool the rotation playbook runs (python -m semantik.shared.keyring) too."""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import jwt
import pytest
from semantik.shared import keyring
from semantik.shared.settings import Settings
from semantik.webui import security
from semantik.webui.app import ConfigurationError, create_app

from tests.webui.conftest import ADMIN_PASSWORD

OLD = "old-signing-key-0123456789abcdef0123456789"  # pragma: allowlist secret (test value)
NEW = "new-signing-key-0123456789abcdef0123456789"  # pragma: allowlist secret (test value)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _webui(settings: Settings):
    app = create_app(settings)
    ctx = app.router.lifespan_context(app)
    await ctx.__aenter__()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://webui")
    return app, ctx, client


async def _login(client: httpx.AsyncClient) -> dict:
    response = await client.post(
        "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def admin_db(webui_settings):
    from semantik.webui import accounts
    from semantik.webui.db import open_database

    conn = open_database(webui_settings.database_path)
    accounts.create_user(conn, "admin", ADMIN_PASSWORD, is_admin=True)
    conn.close()
    return webui_settings


async def test_rotation_keeps_sessions_and_dropping_the_old_key_refuses_its_tokens(admin_db):
    # Before key ids: one bare secret. Its tokens keep working when the ring grows.
    legacy = admin_db.model_copy(update={"jwt_secret": type(admin_db.jwt_secret)(OLD)})
    app, ctx, client = await _webui(legacy)
    before = await _login(client)
    header = jwt.get_unverified_header(before["access_token"])
    assert header["kid"] == keyring.derived_kid(OLD)
    await client.aclose()
    await ctx.__aexit__(None, None, None)

    rotated_ring = f"20991231T000000Z-abcd {NEW}\n{OLD}\n"
    rotated = admin_db.model_copy(update={"jwt_secret": type(admin_db.jwt_secret)(rotated_ring)})
    app, ctx, client = await _webui(rotated)
    try:
        # The token signed before the rotation still works: nobody is signed out.
        me = await client.get("/api/auth/me", headers=bearer(before["access_token"]))
        assert me.status_code == 200, me.text
        # New tokens (login and refresh) are signed with the new key.
        after = await _login(client)
        assert jwt.get_unverified_header(after["access_token"])["kid"] == "20991231T000000Z-abcd"
        refreshed = await client.post(
            "/api/auth/refresh", json={"refresh_token": before["refresh_token"]}
        )
        assert refreshed.status_code == 200
        assert jwt.get_unverified_header(refreshed.json()["access_token"])["kid"] == (
            "20991231T000000Z-abcd"
        )
    finally:
        await client.aclose()
        await ctx.__aexit__(None, None, None)

    dropped = admin_db.model_copy(
        update={"jwt_secret": type(admin_db.jwt_secret)(f"20991231T000000Z-abcd {NEW}\n")}
    )
    app, ctx, client = await _webui(dropped)
    try:
        old = await client.get("/api/auth/me", headers=bearer(after["access_token"]))
        assert old.status_code == 200
        # A token of the dropped key is refused; its session refreshes into a new token.
        gone = await client.get("/api/auth/me", headers=bearer(before["access_token"]))
        assert gone.status_code == 401 and gone.json()["detail"] == "invalid access token"
    finally:
        await client.aclose()
        await ctx.__aexit__(None, None, None)


def test_tokens_name_their_key_and_a_forged_kid_is_refused():
    ring = [keyring.Key("kid-new", NEW), keyring.Key("kid-old", OLD)]
    token, _ = security.create_access_token(ring, 1, "s", 5)
    assert jwt.get_unverified_header(token)["kid"] == "kid-new"
    assert security.decode_access_token(ring, token).user_id == 1
    old_token, _ = security.create_access_token([ring[1]], 2, "s", 5)
    assert security.decode_access_token(ring, old_token).user_id == 2
    # A token claiming the new key's id but signed with the old key: refused.
    payload = jwt.decode(old_token, options={"verify_signature": False})
    lying = jwt.encode(payload, OLD, algorithm="HS256", headers={"kid": "kid-new"})
    with pytest.raises(security.TokenError):
        security.decode_access_token(ring, lying)
    # Unknown kid: refused without trying the keys.
    unknown = jwt.encode(payload, OLD, algorithm="HS256", headers={"kid": "elsewhere"})
    with pytest.raises(security.TokenError, match="invalid access token"):
        security.decode_access_token(ring, unknown)
    # Expired beats "wrong key" when the signature is right.
    expired, _ = security.create_access_token(ring, 1, "s", 1, now=0)
    with pytest.raises(security.TokenError, match="expired"):
        security.decode_access_token(ring, expired)


def test_a_verified_token_is_still_refused_once_expired_or_its_key_is_dropped():
    """Verified tokens are remembered (webui checks a signature once): that must not outlive the
    token's expiry or its key's place in the ring."""
    ring = [keyring.Key("kid-new", NEW), keyring.Key("kid-old", OLD)]
    # Expires within 0.5-1.5 s (the token's exp is whole seconds).
    token, _ = security.create_access_token([ring[1]], 3, "s", 1, now=time.time() - 60 + 1.5)
    claims = security.decode_access_token(ring, token)
    assert claims.user_id == 3
    assert security.decode_access_token(ring, token) == claims  # remembered
    with pytest.raises(security.TokenError, match="invalid access token"):
        security.decode_access_token(ring[:1], token)  # the old key dropped
    time.sleep(max(0.0, claims.expires_at - time.time()) + 0.05)
    with pytest.raises(security.TokenError, match="expired"):
        security.decode_access_token(ring, token)


def test_bad_key_rings_are_refused_by_name(webui_settings):
    short = webui_settings.model_copy(
        update={"jwt_secret": type(webui_settings.jwt_secret)(f"k1 {NEW}\nk2 short\n")}
    )
    with pytest.raises(ConfigurationError, match="key k2 is shorter than"):
        create_app(short)
    with pytest.raises(ValueError, match="SEMANTIK_JWT_SECRET is not a valid key ring: line 2"):
        Settings(_env_file=None, jwt_secret=f"k1 {NEW}\na b c\n")
    with pytest.raises(ValueError, match="same key id") as info:
        Settings(_env_file=None, jwt_secret=f"k1 {NEW}\nk1 {OLD}\n")
    assert NEW not in str(info.value) and OLD not in str(info.value)


T0 = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def test_keyring_add_promote_prune_by_age():
    legacy = keyring.parse(OLD)
    # A legacy key counts as old: a rotation adds; a rerun soon after does not.
    ring, added = keyring.add(legacy, as_current=True, min_age=dt.timedelta(hours=1), force=False,
                              now=T0)
    assert added is not None and ring[0] is added and ring[1].secret == OLD
    again, none = keyring.add(ring, as_current=True, min_age=dt.timedelta(hours=1), force=False,
                              now=T0 + dt.timedelta(minutes=5))
    assert none is None and again == ring
    forced, extra = keyring.add(ring, as_current=True, min_age=dt.timedelta(hours=1), force=True,
                                now=T0 + dt.timedelta(minutes=6))
    assert extra is not None and [k.kid for k in forced[1:]] == [k.kid for k in ring]
    # Retired keys go once the key that replaced them is older than the window.
    kept, dropped = keyring.prune(ring, window=dt.timedelta(minutes=20),
                                  now=T0 + dt.timedelta(minutes=10))
    assert kept == ring and dropped == []
    kept, dropped = keyring.prune(ring, window=dt.timedelta(minutes=20),
                                  now=T0 + dt.timedelta(minutes=21))
    assert kept == ring[:1] and dropped == ring[1:]
    # forced: the middle key was replaced 6 min after T0, the legacy one at T0.
    kept, dropped = keyring.prune(forced, window=dt.timedelta(minutes=20),
                                  now=T0 + dt.timedelta(minutes=24))
    assert [k.kid for k in kept] == [forced[0].kid, forced[1].kid] and dropped == forced[2:]

    # The internal key: staged (accepted, not sent), promoted, the old one pruned with window 0.
    staged, new = keyring.add(legacy, as_current=False, min_age=dt.timedelta(hours=1),
                              force=False, now=T0)
    assert staged[0].secret == OLD and keyring.staged(staged) == new
    rerun, none = keyring.add(staged, as_current=False, min_age=dt.timedelta(0), force=False,
                              now=T0)
    assert none is None and rerun == staged  # a staged key waits: never a second one
    assert keyring.prune(staged, window=dt.timedelta(0), now=T0)[0] == staged  # staged stays
    promoted, which = keyring.promote(staged)
    assert which == new and promoted[0] == new and keyring.promote(promoted)[1] is None
    final, dropped = keyring.prune(promoted, window=dt.timedelta(0), now=T0)
    assert final == [new] and dropped[0].secret == OLD


def test_keyring_tool_edits_in_place_and_prints_ids_only(tmp_path, capsys):
    path = tmp_path / "internal_api_key"
    path.write_text(OLD)
    path.chmod(0o640)

    def run(*args: str) -> dict:
        assert keyring.main([str(path), *args]) == 0
        out = capsys.readouterr().out
        assert OLD not in out and all(k.secret not in out for k in keyring.parse(path.read_text()))
        return json.loads(out)

    first = run("add-staged")
    assert first["changed"] and first["staged"] == first["added"]
    assert path.stat().st_mode & 0o777 == 0o640
    assert run("add-staged")["changed"] is False
    promoted = run("promote")
    assert promoted["current"] == first["added"] and promoted["promoted"] == first["added"]
    pruned = run("prune", "--window-minutes", "0")
    assert pruned["keys"] == [first["added"]] and pruned["dropped"] == [keyring.derived_kid(OLD)]
    assert run("prune")["changed"] is False
    settings = Settings(_env_file=None, internal_api_key=path.read_text())
    assert settings.internal_api_key_current == keyring.parse(path.read_text())[0].secret
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_admin_password_rotation_is_idempotent(test_settings, capsys, monkeypatch):
    """`users set-password --if-changed` (the playbook's admin_password rotation): the first run
    sets it and signs the user out, a rerun with the same password changes nothing."""
    import io

    from semantik.cli import main
    from semantik.webui import accounts
    from semantik.webui.db import open_database

    for name, value in {
        "DATA_DIR": test_settings.data_dir, "DOCUMENTS_ROOT": test_settings.documents_root,
        "JWT_SECRET": test_settings.jwt_secret.get_secret_value(),
    }.items():
        monkeypatch.setenv(f"SEMANTIK_{name}", str(value))
    conn = open_database(test_settings.database_path)
    accounts.create_user(conn, "admin", ADMIN_PASSWORD, is_admin=True)
    conn.close()

    def set_password(password: str) -> str:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        assert main(["users", "set-password", "admin", "--if-changed", "--password-stdin"]) == 0
        out = capsys.readouterr().out
        assert password not in out
        return out

    assert set_password("rotated-admin-password").startswith("password set:")
    assert set_password("rotated-admin-password").startswith("unchanged:")
    conn = open_database(test_settings.database_path)
    try:
        assert accounts.password_matches(conn, "admin", "rotated-admin-password")
        assert not accounts.password_matches(conn, "admin", ADMIN_PASSWORD)
    finally:
        conn.close()
