"""Console and API users and their roles (the ``app_user`` table)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from central.models.base import UTCDateTime


class Role(StrEnum):
    """What a console user may do; ``approver`` is the Party Secretary or the President."""

    ADMIN = "admin"
    SECURITY = "security"
    APPROVER = "approver"
    GUARD = "guard"
    AUDITOR = "auditor"
    DIRECTOR = "director"


class User(SQLModel, table=True):
    """A console or API user; ``roles`` is a comma list of :class:`Role` values."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=80)
    password_hash: str
    roles: str = ""
    active: bool = True
    # part of every cookie and token's signed credentials: raising it (logout, password change, disable)
    # ends every session and token the user holds, in every worker, at once
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # rows before sessions
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=UTCDateTime)

    @property
    def role_set(self) -> set[Role]:
        """The user's roles, unknown names ignored."""
        return {Role(r) for r in self.roles.split(",") if r.strip() in Role._value2member_map_}

    def may(self, *roles: Role | str) -> bool:
        """Whether the user holds one of ``roles``; no roles means the admin alone.

        An admin holds every role but the approver's: approving staff is for the Party Secretary
        or the President (书记或院长, seed 000); an admin manages users, not approvals.
        """
        mine = self.role_set
        wanted = {Role(r) for r in roles}
        if Role.ADMIN in mine and (not wanted or wanted - {Role.APPROVER}):
            return True
        return bool(wanted & mine)


class LoginThrottle(SQLModel, table=True):
    """Failed logins of one user name or one client address, kept in the database so that every worker
    process counts the same attempts (see central/api/throttle.py)."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=200)  # "user:<name>" or "addr:<ip>"
    window_start: datetime = Field(sa_type=UTCDateTime)  # the current one-minute budget's start
    window_attempts: int = 0
    failures: int = 0  # consecutive failures since the last success or unlock
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked: bool = False  # a user name locked after too many failures, until an admin unlocks it
