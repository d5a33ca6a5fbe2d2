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
