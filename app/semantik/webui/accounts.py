"""Users, login sessions and refresh-token rotation on webui's database.

The API routers and the ``semantik users`` CLI both call these functions, so a user created from
the command line is exactly a user created through the API.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass

from semantik.shared.settings import Settings
from semantik.webui import security
from semantik.webui.db import now, transaction
from semantik.webui.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthorized

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
# A (user name, client address) pair quiet for this long starts again from zero failures.
LOGIN_WINDOW_SECONDS = 15 * 60
# Scopes of the attempts table.
LOGIN = "login"
PASSWORD_CHANGE = "password"  # noqa: S105 (a scope name, not a password)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    is_admin: bool
    disabled: bool
    created_at: float
    last_login_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> User:
        return cls(
            row["id"], row["username"], bool(row["is_admin"]), bool(row["disabled"]),
            row["created_at"], row["last_login_at"],
        )


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    user: User


def validate_password(password: str) -> None:
    if len(password) < security.MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {security.MIN_PASSWORD_LENGTH} characters long"
        )
    if len(password) > 1024:
        raise InvalidInput("password is longer than 1024 characters")


def validate_username(username: str) -> None:
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "username must be 1-64 characters: letters, digits and _ . @ - "
            "(starting with a letter or digit)"
        )


def get_user(conn: sqlite3.Connection, username: str) -> User:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise NotFound(f"user {username!r} not found")
    return User.from_row(row)


def get_user_by_id(conn: sqlite3.Connection, user_id: int) -> User | None:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return User.from_row(row) if row else None


def list_users(conn: sqlite3.Connection) -> list[User]:
    return [User.from_row(r) for r in conn.execute("SELECT * FROM users ORDER BY username")]


def count_users(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def create_user(
    conn: sqlite3.Connection, username: str, password: str, *, is_admin: bool = False
) -> User:
    validate_username(username)
    validate_password(password)
    password_hash = security.hash_password(password)  # slow: outside the write lock
    with transaction(conn):
        if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
            raise Conflict(f"user {username!r} already exists")
        cursor = conn.execute(
            "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
            (username, password_hash, int(is_admin), now()),
        )
    return get_user_by_id(conn, cursor.lastrowid)  # type: ignore[arg-type,return-value]


def set_disabled(conn: sqlite3.Connection, username: str, disabled: bool) -> User:
    user = get_user(conn, username)
    with transaction(conn):
        conn.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))
        if disabled:
            _revoke_sessions_of(conn, user.id, "user disabled")
    return get_user(conn, username)


def set_admin(conn: sqlite3.Connection, username: str, is_admin: bool) -> User:
    user = get_user(conn, username)
    conn.execute("UPDATE users SET is_admin = ? WHERE id = ?", (int(is_admin), user.id))
    return get_user(conn, username)


def password_matches(conn: sqlite3.Connection, username: str, password: str) -> bool:
    user = get_user(conn, username)
    row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user.id,)).fetchone()
    return security.verify_password(row["password_hash"], password)


def set_password(conn: sqlite3.Connection, username: str, password: str) -> User:
    validate_password(password)
    user = get_user(conn, username)
    password_hash = security.hash_password(password)
    with transaction(conn):
        conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user.id))
        # A new password ends every wait for this account (an administrator's reset unlocks).
        clear_attempts(conn, LOGIN, user.username)
        clear_attempts(conn, PASSWORD_CHANGE, user.username)
        # A reset password ends every session that knew the old one.
        _revoke_sessions_of(conn, user.id, "password changed")
    return user


def _revoke_sessions_of(conn: sqlite3.Connection, user_id: int, reason: str) -> None:
    conn.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
        "WHERE user_id = ? AND revoked_at IS NULL",
        (now(), reason, user_id),
    )


def _issue(
    conn: sqlite3.Connection, user: User, session_id: str, jwt_secret: security.SigningKeys,
    access_minutes: int, session_expires_at: float,
) -> IssuedTokens:
    refresh = security.new_refresh_token()
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?)",
        (security.hash_refresh_token(refresh), session_id, now(), session_expires_at),
    )
    access, _ = security.create_access_token(jwt_secret, user.id, session_id, access_minutes)
    return IssuedTokens(access, refresh, access_minutes * 60, session_id, user)


@dataclass(frozen=True)
class AttemptPolicy:
    """How many failures one (user name, client address) gets before it must wait, and how long:
    ``backoff_seconds`` after the limit, doubling with every further failure."""

    max_failures: int
    backoff_seconds: int
    backoff_max_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> AttemptPolicy:
        return cls(
            settings.login_max_failures, settings.login_backoff_seconds,
            settings.login_backoff_max_seconds,
        )

    def wait_after(self, failures: int) -> float:
        doublings = min(failures - self.max_failures, 30)
        return float(min(self.backoff_seconds * 2**doublings, self.backoff_max_seconds))


def reserve_attempt(
    conn: sqlite3.Connection, scope: str, username: str, source: str, policy: AttemptPolicy
) -> None:
    """Count this attempt as a failure *before* the password is checked, atomically (BEGIN
    IMMEDIATE), or refuse it with 429 while the pair must wait. Parallel attempts therefore
    cannot all read the same old count: at most ``max_failures`` get to try a password before
    the first wait. A success clears the count (:func:`clear_attempts`)."""
    current = now()
    with transaction(conn):
        # Forget pairs that have been quiet for a whole window (unknown names are counted too).
        conn.execute(
            "DELETE FROM attempts WHERE last_failed_at < ? "
            "AND (locked_until IS NULL OR locked_until < ?)",
            (current - LOGIN_WINDOW_SECONDS, current - LOGIN_WINDOW_SECONDS),
        )
        row = conn.execute(
            "SELECT failures, locked_until FROM attempts "
            "WHERE scope = ? AND username = ? AND source = ?",
            (scope, username, source),
        ).fetchone()
        if row is not None and row["locked_until"] is not None and current < row["locked_until"]:
            wait = math.ceil(row["locked_until"] - current)
            raise TooManyAttempts(
                f"too many failed attempts; try again in {wait} seconds", retry_after=wait
            )
        failures = (row["failures"] if row is not None else 0) + 1
        locked_until = (
            current + policy.wait_after(failures) if failures >= policy.max_failures else None
        )
        conn.execute(
            "INSERT INTO attempts (scope, username, source, failures, last_failed_at, "
            "locked_until) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (scope, username, source) DO UPDATE SET failures = excluded.failures, "
            "last_failed_at = excluded.last_failed_at, locked_until = excluded.locked_until",
            (scope, username, source, failures, current, locked_until),
        )


def clear_attempts(
    conn: sqlite3.Connection, scope: str, username: str, source: str | None = None
) -> None:
    """After a success (or an administrator's password reset: ``source`` None clears them all)."""
    if source is None:
        conn.execute("DELETE FROM attempts WHERE scope = ? AND username = ?", (scope, username))
    else:
        conn.execute(
            "DELETE FROM attempts WHERE scope = ? AND username = ? AND source = ?",
            (scope, username, source),
        )


def failed_attempts(conn: sqlite3.Connection, scope: str, username: str, source: str) -> int:
    row = conn.execute(
        "SELECT failures FROM attempts WHERE scope = ? AND username = ? AND source = ?",
        (scope, username, source),
    ).fetchone()
    return row["failures"] if row else 0


def login(
    conn: sqlite3.Connection, username: str, password: str, *, jwt_secret: security.SigningKeys,
    access_minutes: int, refresh_days: int, policy: AttemptPolicy, source: str,
    user_agent: str | None = None,
) -> IssuedTokens:
    """Check the password and open a new session (one per login: sessions are revoked singly).

    Unknown, disabled and existing accounts get the same answers in the same order: 401 "wrong
    username or password" for every refused password (a disabled account's right one included),
    and 429 once the (user name, client address) pair has used up its attempts."""
    reserve_attempt(conn, LOGIN, username, source, policy)
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    failure = Unauthorized("wrong username or password")
    if row is None:
        security.burn_verify_time(password)
        raise failure
    if not security.verify_password(row["password_hash"], password) or row["disabled"]:
        raise failure
    user = User.from_row(row)
    current = now()
    with transaction(conn):
        clear_attempts(conn, LOGIN, username, source)
        conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (current, user.id))
        if security.needs_rehash(row["password_hash"]):  # hasher parameters were raised
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                (security.hash_password(password), user.id),
            )
        session_id = security.new_session_id()
        expires = current + refresh_days * 86400
        conn.execute(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, user_agent) "
            "VALUES (?, ?, ?, ?, ?)",
            (session_id, user.id, current, expires, (user_agent or "")[:200]),
        )
        return _issue(conn, user, session_id, jwt_secret, access_minutes, expires)


def change_password(
    conn: sqlite3.Connection, user: User, current_password: str, new_password: str, *,
    policy: AttemptPolicy,
) -> None:
    """The signed-in user's own change: the current password is checked under the same attempt
    limit as logins, counted per user (whoever holds the token), so a stolen access token cannot
    be used to guess the password."""
    validate_password(new_password)
    reserve_attempt(conn, PASSWORD_CHANGE, user.username, "", policy)
    row = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user.id,)).fetchone()
    if row is None or not security.verify_password(row["password_hash"], current_password):
        raise Unauthorized("current password is wrong")
    set_password(conn, user.username, new_password)


def refresh(
    conn: sqlite3.Connection, refresh_token: str, *, jwt_secret: security.SigningKeys,
    access_minutes: int,
) -> IssuedTokens:
    """Rotate: the presented refresh token is spent and a new pair is issued. Presenting a spent
    token again means it was copied, so the whole session it belongs to is revoked."""
    token_hash = security.hash_refresh_token(refresh_token)
    refused: Unauthorized | None = None
    # Refusals are raised after the transaction commits: the revocation of a session whose
    # spent token came back must stick (raising inside would roll it back).
    with transaction(conn):
        row = conn.execute(
            "SELECT r.*, s.user_id, s.revoked_at, s.expires_at AS session_expires "
            "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id "
            "WHERE r.token_hash = ?",
            (token_hash,),
        ).fetchone()
        current = now()
        user = get_user_by_id(conn, row["user_id"]) if row is not None else None
        if row is None:
            refused = Unauthorized("invalid refresh token")
        elif row["rotated_at"] is not None:
            conn.execute(
                "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
                "WHERE id = ? AND revoked_at IS NULL",
                (current, "refresh token reused", row["session_id"]),
            )
            refused = Unauthorized("refresh token already used; the session has been revoked")
        elif row["revoked_at"] is not None:
            refused = Unauthorized("session revoked")
        elif row["expires_at"] <= current:
            refused = Unauthorized("refresh token expired")
        elif user is None or user.disabled:
            refused = Unauthorized("this account is disabled")
        else:
            conn.execute(
                "UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?",
                (current, token_hash),
            )
            issued = _issue(
                conn, user, row["session_id"], jwt_secret, access_minutes, row["session_expires"]
            )
    if refused is not None:
        raise refused
    return issued


def revoke_session(
    conn: sqlite3.Connection, session_id: str, *, user_id: int | None = None,
    reason: str = "revoked",
) -> None:
    """Revoke one session (its refresh tokens and every access token issued in it)."""
    owner = conn.execute("SELECT user_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if owner is None or (user_id is not None and owner["user_id"] != user_id):
        raise NotFound("session not found")
    conn.execute(
        "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
        "WHERE id = ? AND revoked_at IS NULL",
        (now(), reason, session_id),
    )


def logout(
    conn: sqlite3.Connection, claims: security.AccessClaims, refresh_token: str | None = None
) -> None:
    """End the session these claims belong to. A refresh token sent along must be that
    session's (logging out must not be a way to probe other sessions' tokens)."""
    if refresh_token:
        row = conn.execute(
            "SELECT session_id FROM refresh_tokens WHERE token_hash = ?",
            (security.hash_refresh_token(refresh_token),),
        ).fetchone()
        if row and row["session_id"] != claims.session_id:
            raise Unauthorized("refresh token belongs to another session")
    revoke_session(conn, claims.session_id, reason="logout")
    revoke_access_token(conn, claims.jti, claims.expires_at)


def revoke_access_token(conn: sqlite3.Connection, jti: str, expires_at: float) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO revoked_access_tokens (jti, expires_at) VALUES (?, ?)",
        (jti, expires_at),
    )
    # Keep the deny-list short: an expired token is refused anyway.
    conn.execute("DELETE FROM revoked_access_tokens WHERE expires_at < ?", (now(),))


def list_sessions(conn: sqlite3.Connection, user_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? "
        "ORDER BY created_at DESC",
        (user_id, now()),
    ).fetchall()


def authenticate_access(conn: sqlite3.Connection, claims: security.AccessClaims) -> User:
    """The user behind a valid JWT, if the token, its session and the account are all still live."""
    row = conn.execute(
        "SELECT u.*, s.revoked_at AS session_revoked, "
        "(SELECT 1 FROM revoked_access_tokens WHERE jti = ?) AS token_revoked "
        "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ? AND u.id = ?",
        (claims.jti, claims.session_id, claims.user_id),
    ).fetchone()
    if row is None or row["session_revoked"] is not None or row["token_revoked"]:
        raise Unauthorized("token revoked")
    if row["disabled"]:
        raise Unauthorized("this account is disabled")
    return User.from_row(row)
