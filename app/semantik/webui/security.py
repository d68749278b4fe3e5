"""Password hashing (argon2id) and tokens: short-lived HS256 access JWTs and opaque refresh tokens
that are stored only as SHA-256 hashes."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "semantik-webui"
MIN_PASSWORD_LENGTH = 8

# argon2id with the library's RFC 9106 low-memory profile; a stateless parameter holder.
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def _dummy_hash() -> str:
    # A real hash to verify against when the user does not exist, so both paths cost the same;
    # made on first use, not at import.
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_verify_time(password: str) -> None:
    verify_password(_dummy_hash(), password)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    # The token is 256 random bits; a fast hash is enough (no dictionary to defend against).
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str
    jti: str
    expires_at: float


class TokenError(Exception):
    pass


def create_access_token(
    secret: str, user_id: int, session_id: str, minutes: int, now: float | None = None
) -> tuple[str, AccessClaims]:
    issued = time.time() if now is None else now
    claims = AccessClaims(user_id, session_id, uuid.uuid4().hex, issued + minutes * 60)
    token = jwt.encode(
        {
            "sub": str(user_id),
            "sid": session_id,
            "jti": claims.jti,
            "iat": int(issued),
            "exp": int(claims.expires_at),
            "aud": JWT_AUDIENCE,
            "typ": "access",
        },
        secret,
        algorithm=JWT_ALGORITHM,
    )
    return token, claims


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],  # never trust the header's alg
            audience=JWT_AUDIENCE,
            options={"require": ["exp", "sub", "sid", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("access token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid access token") from exc
    if payload.get("typ") != "access":
        raise TokenError("invalid access token")
    try:
        return AccessClaims(int(payload["sub"]), payload["sid"], payload["jti"], payload["exp"])
    except (TypeError, ValueError) as exc:
        raise TokenError("invalid access token") from exc
