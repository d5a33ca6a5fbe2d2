"""Health records: nucleic-acid test results imported from the testing site (seed 002)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from central.models.base import UTCDateTime

NEGATIVE, POSITIVE = "negative", "positive"


class NucleicTest(SQLModel, table=True):
    """One nucleic-acid test result of a registered person; one row per person and sampling time."""

    __tablename__ = "nucleic_test"
    __table_args__ = (UniqueConstraint("person_id", "sampled_at", name="uq_nucleic_test"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    # a result that gives only a date is taken as sampled at the start of that local day: the oldest
    # it can be, so a gate rule on its age never admits on a younger time than the truth
    sampled_at: datetime = Field(sa_type=UTCDateTime, index=True)
    result: str  # negative | positive
    source: str = ""  # the imported file's name
    imported_by: str = ""
    imported_at: datetime = Field(sa_type=UTCDateTime)
