"""The registry tables: campuses and their policies, gates, households, people, approvals, passes, keys.

Kinds and forms are stored as :class:`gatecore.tokens.PassKind` / ``PassForm`` names
(``"RESIDENT"``, ``"CARD"``), so a row reads the same as the code.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from central.models.base import UTCDateTime
from gatecore.campus import DEFAULT_TZ

CAMPUS_CODE_LENGTH = 40  # the longest campus code the table holds (VARCHAR on PostgreSQL)


class Campus(SQLModel, table=True):
    """A campus; its id is the campus id inside every pass token."""

    __tablename__ = "campus"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=CAMPUS_CODE_LENGTH)
    name_zh: str
    name_en: str = ""
    timezone: str = DEFAULT_TZ


class CampusPolicyRow(SQLModel, table=True):
    """One version of a campus's policy (``CampusPolicy.to_dict()`` as JSON); the highest version wins."""

    __tablename__ = "campus_policy"
    __table_args__ = (UniqueConstraint("campus_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    campus_id: int = Field(foreign_key="campus.id", index=True)
    version: int
    policy_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_type=UTCDateTime)


class Gate(SQLModel, table=True):
    """A gate; its slug is the MQTT client name and the ``gates/{gate_id}/…`` topic segment."""

    __tablename__ = "gate"

    gate_id: str = Field(primary_key=True, max_length=63)
    campus_id: int = Field(foreign_key="campus.id", index=True)
    name_zh: str
    name_en: str = ""
    open: bool = True


class Household(SQLModel, table=True):
    """A flat in a family residential area; the unit of the one-person-a-day rule."""

    __tablename__ = "household"

    id: int | None = Field(default=None, primary_key=True)
    campus_id: int = Field(foreign_key="campus.id", index=True)
    building: str
    unit: str
    room: str
    label: str  # e.g. 坞城校区 3-2-501: what the guard's display shows


STUDENT_NO_LENGTH = 32  # the longest student number the person table holds (VARCHAR on PostgreSQL)


class Person(SQLModel, table=True):
    """A registered person. The full name stays in this table; displays and logs get a masked one."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True)
    name: str
    category: str  # PassKind name
    active: bool = True
    key_person_until: date | None = None  # under health monitoring through this date
    commuter: bool = False  # employer certificate shown and approved by the security office
    commuter_recorded_by: str | None = None  # console user who saw the certificate
    commuter_until: date | None = None  # the certificate's last valid day; None only on rows from before
    group: str | None = Field(default=None, max_length=40)  # e.g. "logistics": a closed-management group
    student_no: str | None = Field(
        default=None, index=True, max_length=STUDENT_NO_LENGTH
    )  # 学号, for test results
    id_hash: str | None = Field(
        default=None, index=True
    )  # keyed hash of the ID-card number, never the number
    id_last4: str | None = None
    phone: str | None = None
    link_secret: str | None = Field(default=None, unique=True)  # the phone pass link /p/{secret}

    def commuter_on(self, day: date) -> bool:
        """Whether the commuter certificate exempts this person on ``day`` (it lapses after its date)."""
        return self.commuter and (self.commuter_until is None or day <= self.commuter_until)


class Approval(SQLModel, table=True):
    """A staff or contractor entry approval by the Party Secretary or President."""

    __tablename__ = "approval"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = "staff"  # staff | contractor | exit (leaving under closed management)
    valid_from: date
    valid_until: date  # inclusive
    approved_by: str
    status: str = "approved"  # requested | approved | rejected | withdrawn
    requested_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReturnBatch(SQLModel, table=True):
    """A student's approved return-to-campus window (分期分批返校)."""

    __tablename__ = "return_batch"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    start: date
    end: date  # inclusive


class Vehicle(SQLModel, table=True):
    """A registered vehicle; a vehicle pass carries the vehicle id where others carry a person id."""

    __tablename__ = "vehicle"

    id: int | None = Field(default=None, primary_key=True)
    plate: str = Field(unique=True)
    owner_person_id: int = Field(foreign_key="person.id", index=True)
    valid_until: date


class Pass(SQLModel, table=True):
    """An issued pass; the QR token is derived from this row and signed, never stored."""

    __tablename__ = "access_pass"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(index=True)  # a person, or a vehicle for a VEHICLE pass
    kind: str  # PassKind name
    form: str = "CARD"  # PassForm name
    campus_id: int = Field(foreign_key="campus.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="household.id")
    valid_from: datetime = Field(sa_type=UTCDateTime)
    valid_until: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # one-time visitor passes


class SigningKey(SQLModel, table=True):
    """A public key that signs passes; the private key is a PEM file in data_dir/keys."""

    __tablename__ = "signing_key"

    kid: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    public_key: str  # base64 of the raw 32 bytes, as on the config topic
    created_at: datetime = Field(sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # a newer key signs since
    # every pass valid when it retired has expired by then: gates and workers drop the key after it
    verify_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
