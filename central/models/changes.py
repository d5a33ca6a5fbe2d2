"""The registry's change journal: who changed what, when (``registry_change``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from central.models.base import UTCDateTime


class RegistryChange(SQLModel, table=True):
    """One change to the registry: who, when, what (no ID-card numbers in ``detail``)."""

    __tablename__ = "registry_change"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=lambda: datetime.now(UTC), sa_type=UTCDateTime, index=True)
    user_id: int | None = None
    username: str
    action: str  # create | update | delete | approve | reject | revoke | issue | import
    entity: str  # table name
    entity_id: str
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
