"""Login, token refresh (rotating), logout, the caller's sessions and password."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.webui import accounts
from semantik.webui.deps import CurrentPrincipal, CurrentUser, Db, Settings_, jwt_keys
from semantik.webui.schemas import (
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    SessionOut,
    TokenPair,
    UserOut,
)

router = APIRouter(
    prefix="/api/auth", tags=["auth"], route_class=StrictJSONRoute,
    responses=error_responses(400, 401, 404, 413, 429),
)


def client_address(request: Request) -> str:
    """The client as the server reports it: behind nginx, uvicorn has already replaced the
    socket's address with X-Forwarded-For's when the peer is in SEMANTIK_FORWARDED_ALLOW_IPS
    (and only then: a client cannot choose its own address)."""
    return request.client.host if request.client else "unknown"


def _pair(issued: accounts.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=issued.access_token, refresh_token=issued.refresh_token,
        expires_in=issued.expires_in, session_id=issued.session_id,
        user=UserOut.model_validate(issued.user, from_attributes=True),
    )


@router.post("/login", response_model=TokenPair)
def login(body: LoginRequest, request: Request, settings: Settings_, conn: Db) -> TokenPair:
    issued = accounts.login(
        conn, body.username, body.password, jwt_secret=jwt_keys(settings),
        access_minutes=settings.access_token_minutes, refresh_days=settings.refresh_token_days,
        policy=accounts.AttemptPolicy.from_settings(settings), source=client_address(request),
        user_agent=request.headers.get("user-agent"),
    )
    return _pair(issued)


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, settings: Settings_, conn: Db) -> TokenPair:
    issued = accounts.refresh(
        conn, body.refresh_token, jwt_secret=jwt_keys(settings),
        access_minutes=settings.access_token_minutes,
    )
    return _pair(issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(principal: CurrentPrincipal, conn: Db, body: LogoutRequest | None = None) -> None:
    """End this session: its refresh tokens and every access token issued in it stop working.
    Other sessions of the same user (other browsers, devices) are untouched."""
    accounts.logout(conn, principal.claims, body.refresh_token if body else None)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


@router.get("/sessions", response_model=list[SessionOut])
def sessions(principal: CurrentPrincipal, conn: Db) -> list[SessionOut]:
    return [
        SessionOut(
            id=row["id"], created_at=row["created_at"], expires_at=row["expires_at"],
            user_agent=row["user_agent"], current=row["id"] == principal.claims.session_id,
        )
        for row in accounts.list_sessions(conn, principal.user.id)
    ]


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_session(session_id: str, principal: CurrentPrincipal, conn: Db) -> None:
    """Revoke one of your own sessions (e.g. a lost device); the others keep working."""
    accounts.revoke_session(conn, session_id, user_id=principal.user.id, reason="revoked by user")


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange, user: CurrentUser, conn: Db, settings: Settings_
) -> None:
    """Change your password; every session, this one included, is signed out. Wrong current
    passwords count against the same attempt limit as logins (429 with Retry-After)."""
    accounts.change_password(
        conn, user, body.current_password, body.new_password,
        policy=accounts.AttemptPolicy.from_settings(settings),
    )
