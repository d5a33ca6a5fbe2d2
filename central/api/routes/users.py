"""Managing console users: the admin's API (``/api/v1/users``), thin over ``central.office.users``.

The first admin is made on the server with ``campusgate user add NAME --role admin`` (no one can log
in to make them). Every change is journalled in ``registry_change`` like the registry's own; a
password never appears in a journal or a log. An admin cannot disable themselves or drop their own
admin role, so the office cannot lock itself out by a slip of the mouse.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlmodel import col, select
from starlette.concurrency import run_in_threadpool

from central.api import throttle
from central.api.auth import UserPublic
from central.api.deps import AdminUser, ReadSession, RowId, WriteSession
from central.models.users import User
from central.office.changes import record_change
from central.office.errors import must_get
from central.office.users import UserCreate, UserUpdate, add_user, update_user

router = APIRouter(prefix="/api/v1/users", tags=["users"])


def public(user: User) -> UserPublic:
    """The user as the API shows it."""
    assert user.id is not None
    return UserPublic(id=user.id, username=user.username, roles=sorted(user.role_set), active=user.active)


@router.get("", response_model=list[UserPublic])
def list_users(session: ReadSession, admin: AdminUser) -> list[UserPublic]:
    """Every user, by name."""
    return [public(u) for u in session.exec(select(User).order_by(col(User.username)))]


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
async def post_user(body: UserCreate, session: WriteSession, admin: AdminUser) -> UserPublic:
    """Create a user (409 if the name is taken)."""
    user = await run_in_threadpool(lambda: add_user(session, actor=admin, body=body))  # argon2 takes ~0.1 s
    session.commit()
    return public(user)


@router.patch("/{user_id}", response_model=UserPublic)
async def patch_user(user_id: RowId, body: UserUpdate, session: WriteSession, admin: AdminUser) -> UserPublic:
    """Change a user's roles, active flag or password (409 for a self-lockout)."""
    user = must_get(session, User, user_id, "user")
    await run_in_threadpool(lambda: update_user(session, actor=admin, user=user, body=body))
    session.commit()
    return public(user)


@router.post("/{user_id}/unlock", response_model=UserPublic)
def unlock(user_id: RowId, session: WriteSession, admin: AdminUser) -> UserPublic:
    """Clear a user's failed logins and lock (see central/api/throttle.py)."""
    user = must_get(session, User, user_id, "user")
    cleared = throttle.unlock(session, user.username)
    record_change(session, admin, "unlock", "user", user_id, cleared=cleared)
    session.commit()
    return public(user)
