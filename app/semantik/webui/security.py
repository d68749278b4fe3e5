"""Password hashing (argon2id) and tokens: short-lived HS256 access JWTs and opaque refresh tokens
that are stored only as SHA-256 hashes.

Access tokens are signed with the current key of the JWT key ring and carry its id (`kid`);
a token of any key still in the ring is accepted until it expires, so rotating the key signs
nobody out (semantik.shared.keyring)."""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from semantik.shared.keyring import Key, derived_kid

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


class _WrongKey(TokenError):
    """Signed with another key: try the next one of the ring."""


# The signing keys: a key ring (current first), or one secret (a ring of one).
SigningKeys = str | Sequence[Key]


def _ring(keys: SigningKeys) -> Sequence[Key]:
    ring = [Key(derived_kid(keys), keys)] if isinstance(keys, str) else keys
    if not ring:
        raise ValueError("no JWT signing key")
    return ring


def create_access_token(
    keys: SigningKeys, user_id: int, session_id: str, minutes: int, now: float | None = None
) -> tuple[str, AccessClaims]:
    current = _ring(keys)[0]
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
        current.secret,
        algorithm=JWT_ALGORITHM,
        headers={"kid": current.kid},
    )
    return token, claims


def _candidates(ring: Sequence[Key], token: str) -> list[Key]:
    """The key a token names; a token without a kid (issued before key ids) may be any."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as exc:
        raise TokenError("invalid access token") from exc
    if kid is None:
        return list(ring)
    return [key for key in ring if key.kid == kid]


def decode_access_token(keys: SigningKeys, token: str) -> AccessClaims:
    claims = _verified(tuple(_ring(keys)), token)
    # Rechecked on every use: a token verified earlier may have expired since (PyJWT's own test,
    # no leeway).
    if claims.expires_at <= time.time():
        raise TokenError("access token expired")
    return claims


# A client sends the same access token with every request until it expires; its signature is
# checked once per key ring (PyJWT's decode cost about a fifth of a search's CPU in webui). Only
# successes are kept; the session and user are still looked up per request.
@functools.lru_cache(maxsize=4096)
def _verified(ring: tuple[Key, ...], token: str) -> AccessClaims:
    candidates = _candidates(ring, token)
    if not candidates:
        # Signed by a key that was dropped from the ring (or never in it).
        raise TokenError("invalid access token")
    for key in candidates:
        try:
            return _decode(key.secret, token)
        except _WrongKey:
            continue
    raise TokenError("invalid access token")


def _decode(secret: str, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],  # never trust the header's alg
            audience=JWT_AUDIENCE,
            options={"require": ["exp", "sub", "sid", "jti"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise _WrongKey("invalid access token") from exc
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
