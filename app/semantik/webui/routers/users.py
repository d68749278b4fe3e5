"""User administration (administrators only)."""

from __future__ import annotations

from fastapi import APIRouter, status

from semantik.shared.api import StrictJSONRoute, error_responses
from semantik.webui import accounts
from semantik.webui.deps import AdminUser, Db
from semantik.webui.errors import InvalidInput
from semantik.webui.schemas import PasswordReset, UserCreate, UserOut, UserUpdate

router = APIRouter(
    prefix="/api/users", tags=["users"], route_class=StrictJSONRoute,
    responses=error_responses(400, 401, 403, 404, 409, 413),
)


def _out(user: accounts.User) -> UserOut:
    return UserOut.model_validate(user, from_attributes=True)


@router.get("", response_model=list[UserOut])
def list_users(_: AdminUser, conn: Db) -> list[UserOut]:
    return [_out(u) for u in accounts.list_users(conn)]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, _: AdminUser, conn: Db) -> UserOut:
    return _out(accounts.create_user(conn, body.username, body.password, is_admin=body.is_admin))


@router.get("/{username}", response_model=UserOut)
def get_user(username: str, _: AdminUser, conn: Db) -> UserOut:
    return _out(accounts.get_user(conn, username))


@router.patch("/{username}", response_model=UserOut)
def update_user(username: str, body: UserUpdate, admin: AdminUser, conn: Db) -> UserOut:
    """Disable/enable an account or change its admin flag. Disabling signs the user out."""
    target = accounts.get_user(conn, username)
    if target.id == admin.id and (body.disabled or body.is_admin is False):
        raise InvalidInput("you cannot disable yourself or remove your own admin rights")
    if body.disabled is not None:
        target = accounts.set_disabled(conn, username, body.disabled)
    if body.is_admin is not None:
        target = accounts.set_admin(conn, username, body.is_admin)
    return _out(target)


@router.post("/{username}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(username: str, body: PasswordReset, _: AdminUser, conn: Db) -> None:
    """Set a new password; the user's sessions are signed out."""
    accounts.set_password(conn, username, body.password)
