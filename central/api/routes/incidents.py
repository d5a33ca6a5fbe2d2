"""Routes for fever incidents: list, read, take a step, mark reported; thin over central.office.incidents."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, field_validator

from central.api.auth import require_roles
from central.api.deps import WATCHERS, IdFilter, IncidentWriter, ReadSession, RowId
from central.models.db import session_scope
from central.models.incidents import FeverIncident, IncidentStep
from central.office import incidents
from central.office.errors import NotFound
from central.office.schemas import Note

router = APIRouter(prefix="/api/v1", tags=["incidents"])
Reader = Depends(require_roles(*WATCHERS))


class StepPublic(BaseModel):
    """One step of an incident."""

    state: str
    by: str
    at: datetime
    celsius: float | None
    note: str | None

    @field_validator("celsius")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        # a step stored before readings were checked may hold ±inf: shown as no reading, not a 500
        return value if value is None or math.isfinite(value) else None


class IncidentPublic(BaseModel):
    """A fever incident with its one-hour flag as of now."""

    id: int
    event_id: str
    gate_id: str
    campus_id: int | None
    person_id: int | None
    readings: list[float | None]  # null: a stored reading that is no number ("—")
    symptoms: list[str] = []
    opened_at: datetime
    state: str
    closed_at: datetime | None
    reported_at: datetime | None
    reported_by: str | None
    overdue: bool
    steps: list[StepPublic] = []

    @classmethod
    def of(cls, row: FeverIncident, now: datetime, steps: Sequence[IncidentStep] = ()) -> IncidentPublic:
        """From a table row (and its steps)."""
        data = row.model_dump(exclude={"readings", "symptoms"})
        return cls(
            **data,
            readings=incidents.readings_of(row),
            symptoms=[s for s in row.symptoms.split(",") if s],
            overdue=incidents.is_overdue(row.opened_at, row.reported_at, now),
            steps=[StepPublic.model_validate(s.model_dump()) for s in steps],
        )


class StepCreate(BaseModel):
    """The step to take: the state to reach; a re-measurement carries its reading."""

    state: str
    celsius: incidents.Celsius | None = None
    note: Note | None = None


@router.get("/incidents", response_model=list[IncidentPublic], dependencies=[Reader])
def list_incidents(
    session: ReadSession, campus_id: IdFilter = None, state: str | None = None, overdue: bool | None = None
) -> list[IncidentPublic]:
    """Incidents newest first; ``overdue=true`` is the one-hour report of what was not reported in time."""
    now = datetime.now(UTC)
    rows = incidents.list_incidents(session, now=now, campus_id=campus_id, state=state, overdue=overdue)
    return [IncidentPublic.of(r, now) for r in rows]


@router.get("/incidents/{incident_id}", response_model=IncidentPublic, dependencies=[Reader])
def get_incident(session: ReadSession, incident_id: RowId) -> IncidentPublic:
    """One incident with every step."""
    row = session.get(FeverIncident, incident_id)
    if row is None:
        raise NotFound(f"no incident {incident_id}")
    return IncidentPublic.of(row, datetime.now(UTC), incidents.steps(session, incident_id))


@router.post("/incidents/{incident_id}/steps", response_model=IncidentPublic)
def take_step(request: Request, user: IncidentWriter, incident_id: RowId, step: StepCreate) -> IncidentPublic:
    """Move the incident on (409 if its state does not allow that step, 422 for no such state)."""
    now = datetime.now(UTC)
    with session_scope(request.app.state.engine) as session:
        row = incidents.advance(
            session,
            incident_id,
            step.state,
            by=user.username,
            at=now,
            celsius=step.celsius,
            note=step.note,
        )
        return IncidentPublic.of(row, now, incidents.steps(session, incident_id))


@router.post("/incidents/{incident_id}/report", response_model=IncidentPublic)
def report(request: Request, user: IncidentWriter, incident_id: RowId) -> IncidentPublic:
    """Record that the incident was reported to the prevention office."""
    now = datetime.now(UTC)
    with session_scope(request.app.state.engine) as session:
        row = incidents.mark_reported(session, incident_id, by=user.username, at=now)
        return IncidentPublic.of(row, now, incidents.steps(session, incident_id))
