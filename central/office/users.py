"""Console users: argon2 password hashes, creating and changing users (shared by the API, the console
and ``campusgate user``), and the demo logins.

The first admin is made on the server with ``campusgate user add NAME --role admin`` (no one can log
in to make them). Every change is journalled in ``registry_change`` like the registry's own; a
password never appears in a journal or a log. An admin cannot disable themselves or drop their own
admin role, so the office cannot lock itself out by a slip of the mouse.
"""

from __future__ import annotations

import logging
import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, select

from central.models.users import Role, User
from central.office.changes import record_change
from central.office.errors import Conflict, NotFound

logger = logging.getLogger(__name__)

DEMO_USERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "admin": ("admin-demo", ("admin",)),
    "security": ("security-demo", ("security",)),
    "approver": ("approver-demo", ("approver",)),
    "guard": ("guard-demo", ("guard",)),
    "auditor": ("auditor-demo", ("auditor",)),
    "director": ("director-demo", ("director",)),
}

_hasher = PasswordHasher()


MIN_PASSWORD = 10
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")  # whole: fullmatch (a "$" would let "name\n" in)


class UserError(Conflict, ValueError):
    """A refused user change, with the reason a person can act on (a ValueError too: validators raise it)."""


def check_username(name: str) -> str:
    """``name`` if it is a valid login name (lower-case letters, digits, . _ -; 2–80 characters)."""
    if not _NAME.fullmatch(name):
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


def add_user(session: Session, *, actor: User, body: UserCreate) -> User:
    """Create a user (UserError if the name is taken), journalled in the caller's transaction."""
    user = create_user(session, body.username, body.password, list(body.roles))
    record_change(session, actor, "create", "app_user", user.id, username=user.username, roles=user.roles)
    return user


def update_user(session: Session, *, actor: User, user: User, body: UserUpdate) -> User:
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


def end_sessions(user: User) -> None:
    """End every console session and API token of ``user`` (the caller commits)."""
    user.session_epoch += 1


def find_user(session: Session, username: str) -> User:
    """The user called ``username`` (UserError if there is none)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no user called {username!r}")
    return user


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, roles: list[Role | str]) -> User:
    """A new active user: :class:`UserError` for a name that is not valid (``check_username``, the
    rule of every way a user is made) or taken, ValueError for an unknown role."""
    check_username(username)
    names = [Role(r).value for r in roles]
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise UserError(f"username {username!r} is already taken")
    user = User(username=username, password_hash=hash_password(password), roles=",".join(names))
    session.add(user)
    session.flush()
    logger.info("created user %s with roles %s", user.id, user.roles)
    return user


def ensure_admin(session: Session, username: str, password: str) -> User:
    """The named admin, created if missing (an existing user keeps its password and gains admin); a
    name ``check_username`` refuses is neither made nor promoted (no look-alike "admin\\n")."""
    check_username(username)
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        return create_user(session, username, password, [Role.ADMIN])
    if Role.ADMIN not in user.role_set:
        user.roles = ",".join(sorted({*user.role_set, Role.ADMIN}))
        session.add(user)
        session.flush()
    return user


def seed_demo_users(session: Session) -> dict[str, str]:
    """One demo user per role (username -> password, e.g. admin/admin-demo); idempotent."""
    for username, (password, roles) in DEMO_USERS.items():
        if session.exec(select(User).where(User.username == username)).first() is None:
            create_user(session, username, password, list(roles))
    return {username: password for username, (password, _) in DEMO_USERS.items()}


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.exec(select(User).where(User.username == username)).first()
    # an unknown name costs the same argon2 check as a known one, so timing does not tell names apart
    matches = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.active or not matches:
        return None
    return user


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
