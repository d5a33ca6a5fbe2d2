"""Daily reports and when they are due (made, signed and corrected by ``central.office.reports``, which
also refuses any change to a signed report: the ORM hook raises the office's ``ReportError``)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from central.models.base import UTCDateTime

OFFICE, UNIT = "office", "unit"  # a report's kind: the security office's, or the units'


def content_digest(content_json: str) -> str:
    """A report's ``content_hash``: SHA-256 in hex of its stored ``content_json`` (the counts, the zone
    they were counted in). The one definition: the report's maker and the audit's verify both use it."""
    return hashlib.sha256(content_json.encode()).hexdigest()


class ReportSetting(SQLModel, table=True):
    """When a campus's reports are due (local time); no row means the defaults, 15:00 and 14:30."""

    __tablename__ = "report_setting"

    campus_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    office_at: str = "15:00"
    unit_at: str = "14:30"


class DailyReport(SQLModel, table=True):
    """One version of one campus's report of one kind for one day."""

    __tablename__ = "daily_report"
    __table_args__ = (UniqueConstraint("campus_id", "day", "kind", "version", name="uq_daily_report"),)

    id: int | None = Field(default=None, primary_key=True)
    campus_id: int = Field(index=True)
    day: date
    kind: str = OFFICE  # office | unit
    version: int = 1
    supersedes_id: int | None = None
    period_start: datetime = Field(sa_type=UTCDateTime)
    period_end: datetime = Field(sa_type=UTCDateTime)
    made_at: datetime = Field(sa_type=UTCDateTime)
    # the entry log's last seq when it was made: the rows it could count (None: made before this was
    # kept, revision 0009; those compare receive times with made_at)
    log_seq: int | None = None
    late: bool = False
    zero: bool = False
    content_json: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(default="", max_length=64)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # who made this version: the user who made it by hand or filed the correction; None, the scheduler
    made_by: str | None = None
    signed_by: str | None = None
    signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def content(self) -> dict[str, Any]:
        """The counts, as a dict."""
        return dict(json.loads(self.content_json))
