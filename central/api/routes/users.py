"""Managing console users: the admin's API (``/api/v1/users``) and the functions the CLI shares with it.

The first admin is made on the server with ``campusgate user add NAME --role admin`` (no one can log
in to make them). Every change is journalled in ``registry_change`` like the registry's own; a
password never appears in a journal or a log. An admin cannot disable themselves or drop their own
admin role, so the office cannot lock itself out by a slip of the mouse.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from central.api import throttle
from central.api.auth import Role, User, UserPublic, create_user, end_sessions, hash_password, require_roles
from central.api.deps import ReadSession, RowId, WriteSession, record_change

logger = logging.getLogger(__name__)

MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
Admin = Annotated[User, Depends(require_roles(Role.ADMIN))]
router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserError(ValueError):
    """A refused user change, with the reason a person can act on."""


def check_username(name: str) -> str:
    """``name`` if it is a valid login name (lower-case letters, digits, . _ -; 2–80 characters)."""
    if not _NAME.match(name):
        raise UserError(
            f"username {name!r} is not valid: use 2–80 lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str) -> str:
    """``password`` if it is long enough."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    return password


class UserCreate(BaseModel):
    """A new user; ``roles`` from admin, security, approver, guard, auditor, director."""

    username: str
    password: str
    roles: list[Role] = Field(min_length=1)

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        return check_username(v)

    @field_validator("password")
    @classmethod
    def _password(cls, v: str) -> str:
        return check_password(v)


class UserUpdate(BaseModel):
    """A change to a user: any of roles, active, password."""

    roles: list[Role] | None = Field(default=None, min_length=1)
    active: bool | None = None
    password: str | None = None

    @field_validator("password")
    @classmethod
    def _password(cls, v: str | None) -> str | None:
        return None if v is None else check_password(v)


def public(user: User) -> UserPublic:
    """The user as the API shows it."""
    assert user.id is not None
    return UserPublic(id=user.id, username=user.username, roles=sorted(user.role_set), active=user.active)


def add_user(session: Session, actor: User, body: UserCreate) -> User:
    """Create a user (UserError if the name is taken), journalled in the caller's transaction."""
    try:
        user = create_user(session, body.username, body.password, list(body.roles))
    except ValueError as exc:
        raise UserError(f"username {body.username!r} is already taken") from exc
    record_change(session, actor, "create", "app_user", user.id, username=user.username, roles=user.roles)
    return user


def update_user(session: Session, actor: User, user: User, body: UserUpdate) -> User:
    """Apply ``body`` to ``user`` (UserError when an admin would lock themselves out)."""
    changed: dict[str, object] = {}
    if body.roles is not None:
        roles = ",".join(sorted(r.value for r in set(body.roles)))
        if user.id == actor.id and Role.ADMIN.value not in roles.split(","):
            raise UserError("you cannot remove your own admin role; ask another admin")
        user.roles = changed["roles"] = roles
    if body.active is not None:
        if user.id == actor.id and not body.active:
            raise UserError("you cannot disable your own account; ask another admin")
        user.active = changed["active"] = body.active
        if not body.active:
            end_sessions(user)  # so that enabling the user again does not bring old sessions back
    if body.password is not None:
        user.password_hash = hash_password(body.password)
        end_sessions(user)
        changed["password"] = "changed"  # never the password itself
    session.add(user)
    record_change(session, actor, "update", "app_user", user.id, username=user.username, **changed)
    logger.info("user %s updated by %s: %s", user.id, actor.username, ", ".join(changed) or "nothing")
    return user


def find_user(session: Session, username: str) -> User:
    """The user called ``username`` (UserError if there is none)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise UserError(f"no user called {username!r}")
    return user


@router.get("", response_model=list[UserPublic])
def list_users(session: ReadSession, admin: Admin) -> list[UserPublic]:
    """Every user, by name."""
    return [public(u) for u in session.exec(select(User).order_by(col(User.username)))]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def post_user(body: UserCreate, session: WriteSession, admin: Admin) -> UserPublic:
    """Create a user (409 if the name is taken)."""
    try:
        user = await run_in_threadpool(add_user, session, admin, body)  # argon2 takes ~0.1 s
        session.commit()
    except UserError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return public(user)


@router.patch("/{user_id}", response_model=UserPublic)
async def patch_user(user_id: RowId, body: UserUpdate, session: WriteSession, admin: Admin) -> UserPublic:
    """Change a user's roles, active flag or password (409 for a self-lockout)."""
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no user with id {user_id}")
    try:
        await run_in_threadpool(update_user, session, admin, user, body)
        session.commit()
    except UserError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    return public(user)


@router.post("/{user_id}/unlock", response_model=UserPublic)
def unlock_user(user_id: RowId, session: WriteSession, admin: Admin) -> UserPublic:
    """Clear a user's failed logins and lock (see central/api/throttle.py)."""
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no user with id {user_id}")
    cleared = throttle.unlock(session, user.username)
    record_change(session, admin, "unlock", "user", user_id, cleared=cleared)
    session.commit()
    logger.info("user %s unlocked by %s", user_id, admin.id)
    return public(user)
