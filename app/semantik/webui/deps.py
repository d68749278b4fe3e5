"""FastAPI dependencies: settings, a database connection per request, the vecpipe client, the
current user (Bearer access token) and the admin check."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from semantik.shared.keyring import Key
from semantik.shared.settings import Settings
from semantik.webui import accounts, security
from semantik.webui.errors import Forbidden, Unauthorized
from semantik.webui.indexer import JobRunner
from semantik.webui.vecpipe_client import VecpipeClient

_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/auth/login")

# Dependencies that only read app state are ``async def``: FastAPI runs a plain ``def`` one in
# its thread pool, a thread hop per dependency per request for nothing (bench/bench_search.py).


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> AsyncIterator[sqlite3.Connection]:
    # Taken on the event loop (no thread hop): the per-request reads are fast, and a plain
    # ``def`` endpoint may use it from a pool thread (check_same_thread=False).
    pool = request.app.state.db_pool
    conn = pool.acquire()
    try:
        yield conn
    finally:
        pool.release(conn)


async def get_vecpipe(request: Request) -> VecpipeClient:
    return request.app.state.vecpipe


async def get_runner(request: Request) -> JobRunner:
    return request.app.state.runner


def jwt_keys(settings: Settings) -> list[Key]:
    keys = settings.jwt_keys
    assert keys  # create_app refuses to start without them
    return keys


@dataclass(frozen=True)
class Principal:
    user: accounts.User
    claims: security.AccessClaims


def _authenticate(token: str | None, settings: Settings, conn: sqlite3.Connection) -> Principal:
    if not token:
        raise Unauthorized("not authenticated: send 'Authorization: Bearer <access token>'")
    try:
        claims = security.decode_access_token(jwt_keys(settings), token)
    except security.TokenError as exc:
        raise Unauthorized(str(exc)) from exc
    return Principal(accounts.authenticate_access(conn, claims), claims)


Settings_ = Annotated[Settings, Depends(get_settings)]
Db = Annotated[sqlite3.Connection, Depends(get_db)]
Vecpipe = Annotated[VecpipeClient, Depends(get_vecpipe)]


async def current_principal(
    settings: Settings_, conn: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return _authenticate(credentials.credentials if credentials else None, settings, conn)


async def current_user(
    principal: Annotated[Principal, Depends(current_principal)],
) -> accounts.User:
    return principal.user


async def require_admin(user: Annotated[accounts.User, Depends(current_user)]) -> accounts.User:
    if not user.is_admin:
        raise Forbidden("administrator rights required")
    return user


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
CurrentUser = Annotated[accounts.User, Depends(current_user)]
AdminUser = Annotated[accounts.User, Depends(require_admin)]
Runner = Annotated[JobRunner, Depends(get_runner)]
