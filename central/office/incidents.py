"""Fever incidents: every fever alert opens one, tracked step by step to closure, flagged after an hour unreported.

Symptoms a guard marks at the gate (a cough, seed 003: 对发烧咳嗽者一律实行医学隔离观察) raise the same
alert and open the same incident, with the same one-hour report.

States: ``open → sent_to_observation → remeasured → released | referred``. Each step records who
took it and when. Reporting to the prevention office is separate from the state: the one-hour
rule (docs/rules.md) is about the report, whatever the person's state.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import Field
from sqlmodel import Session, col, select

from central.models.base import utc
from central.models.incidents import (
    OBSERVATION,
    OPEN,
    REFERRED,
    RELEASED,
    REMEASURED,
    FeverIncident,
    IncidentStep,
)
from central.models.journal import FeverAlert
from central.office.errors import Conflict, Invalid, NotFound
from gatecore.campus import PLAUSIBLE_BOUNDS

logger = logging.getLogger(__name__)

# a re-measurement is a person's temperature: within the bounds any campus's plausible window must keep
# (NaN, ±Infinity, 1e30 or -1 °C would otherwise be stored and printed in the signed daily report)
BODY_LOW, BODY_HIGH = PLAUSIBLE_BOUNDS
Celsius = Annotated[float, Field(ge=BODY_LOW, le=BODY_HIGH, allow_inf_nan=False)]  # the API's schema

REPORT_WITHIN = timedelta(hours=1)
NEXT: dict[str, tuple[str, ...]] = {
    OPEN: (OBSERVATION,),
    OBSERVATION: (REMEASURED,),
    REMEASURED: (RELEASED, REFERRED, REMEASURED),
    RELEASED: (),
    REFERRED: (),
}
CLOSED = frozenset({RELEASED, REFERRED})


class IncidentError(Conflict):
    """A step that the incident's state does not allow (or an unknown incident)."""


def is_overdue(opened_at: datetime, reported_at: datetime | None, now: datetime) -> bool:
    """Whether the one-hour report deadline was missed (reported late, or still unreported after an hour)."""
    deadline = utc(opened_at) + REPORT_WITHIN
    return utc(reported_at) > deadline if reported_at is not None else utc(now) > deadline


def can_move(state: str, to: str) -> bool:
    """Whether ``to`` may follow ``state``."""
    return to in NEXT.get(state, ())


def readings_of(incident: FeverIncident) -> list[float | None]:
    """The incident's readings in order; None for one that is no finite number (a "nan" or "inf"
    stored before re-measurements were checked), which a reader shows as "—"."""
    out: list[float | None] = []
    for text in filter(None, incident.readings.split(",")):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        out.append(value if math.isfinite(value) else None)
    return out


def incident_for(alert: FeverAlert, person_id: int | None) -> FeverIncident:
    """The incident a fever alert opens (added in the same transaction as the alert)."""
    return FeverIncident(
        event_id=alert.event_id,
        gate_id=alert.gate_id,
        campus_id=alert.campus_id,
        person_id=person_id,
        readings="" if alert.celsius is None else f"{alert.celsius:.1f}",
        symptoms=alert.symptoms,
        opened_at=alert.created_at,
    )


def _get(session: Session, incident_id: int) -> FeverIncident:
    incident = session.get(FeverIncident, incident_id, with_for_update=True)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def advance(
    session: Session,
    incident_id: int,
    to: str,
    *,
    by: str,
    at: datetime,
    celsius: float | None = None,
    note: str | None = None,
) -> FeverIncident:
    """Move an incident one step (a re-measurement needs its reading); raises IncidentError if not
    allowed, :class:`Invalid` for a state that does not exist or an implausible reading."""
    if to not in NEXT:  # no state at all: a bad request, not a step this incident's state forbids
        raise Invalid(f"unknown incident state {to!r}; one of {', '.join(NEXT)}")
    incident = _get(session, incident_id)
    if not can_move(incident.state, to):
        raise IncidentError(f"incident {incident_id} is {incident.state}; it cannot become {to}")
    if to == REMEASURED and celsius is None:
        raise IncidentError("a re-measurement needs its reading")
    if celsius is not None and not (math.isfinite(celsius) and BODY_LOW <= celsius <= BODY_HIGH):
        raise Invalid(f"celsius {celsius} is not a plausible body temperature: {BODY_LOW} to {BODY_HIGH} °C")
    if celsius is not None:
        incident.readings = f"{incident.readings},{celsius:.1f}" if incident.readings else f"{celsius:.1f}"
    incident.state = to
    if to in CLOSED:
        incident.closed_at = utc(at)
    session.add(
        IncidentStep(incident_id=incident_id, state=to, by=by, at=utc(at), celsius=celsius, note=note)
    )
    session.add(incident)
    session.flush()
    logger.info("incident %s is %s", incident_id, to)
    return incident


def mark_reported(session: Session, incident_id: int, *, by: str, at: datetime) -> FeverIncident:
    """Record that the incident was reported to the prevention office (once)."""
    incident = _get(session, incident_id)
    if incident.reported_at is not None:
        raise IncidentError(f"incident {incident_id} was already reported")
    incident.reported_at, incident.reported_by = utc(at), by
    session.add(IncidentStep(incident_id=incident_id, state="reported", by=by, at=utc(at)))
    session.add(incident)
    session.flush()
    logger.info(
        "incident %s reported%s", incident_id, " late" if is_overdue(incident.opened_at, at, at) else ""
    )
    return incident


def steps(session: Session, incident_id: int) -> list[IncidentStep]:
    """An incident's steps in order."""
    stmt = select(IncidentStep).where(IncidentStep.incident_id == incident_id).order_by(col(IncidentStep.id))
    return list(session.exec(stmt))


def list_incidents(
    session: Session,
    *,
    now: datetime,
    campus_id: int | None = None,
    state: str | None = None,
    overdue: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[FeverIncident]:
    """Incidents newest first; ``overdue`` filters on the one-hour rule as of ``now``."""
    stmt = select(FeverIncident)
    if campus_id is not None:
        stmt = stmt.where(FeverIncident.campus_id == campus_id)
    if state is not None:
        stmt = stmt.where(FeverIncident.state == state)
    if since is not None:
        stmt = stmt.where(col(FeverIncident.opened_at) >= utc(since))
    if until is not None:
        stmt = stmt.where(col(FeverIncident.opened_at) < utc(until))
    rows = list(session.exec(stmt.order_by(col(FeverIncident.id).desc())))
    if overdue is not None:
        rows = [r for r in rows if is_overdue(r.opened_at, r.reported_at, now) == overdue]
    return rows
