"""Fever incidents and their steps (the office's handling of them: ``central.office.incidents``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, text
from sqlmodel import Field, SQLModel

from central.models.base import UTCDateTime

# an incident's states, in the order it goes through them (the rules of the moves: central.office.incidents)
OPEN, OBSERVATION, REMEASURED, RELEASED, REFERRED = (
    "open",
    "sent_to_observation",
    "remeasured",
    "released",
    "referred",
)


class FeverIncident(SQLModel, table=True):
    """A fever at a gate and what the office did about it."""

    __tablename__ = "fever_incident"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=36)  # the scan (and fever alert) that opened it
    gate_id: str = Field(max_length=63)
    campus_id: int | None = Field(default=None, index=True)
    person_id: int | None = None
    readings: str = ""  # every reading in order, comma-separated (the gate's first)
    # what the guard marked at the gate (cough, other), comma-separated
    symptoms: str = Field(default="", sa_column_kwargs={"server_default": text("''")})
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)
    state: str = OPEN
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_by: str | None = None


class IncidentStep(SQLModel, table=True):
    """One step of an incident: the state it reached, by whom, when."""

    __tablename__ = "fever_incident_step"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="fever_incident.id", index=True)
    state: str
    by: str
    at: datetime = Field(sa_type=UTCDateTime)
    celsius: float | None = None
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
