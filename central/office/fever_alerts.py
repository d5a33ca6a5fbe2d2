"""Fever alerts as the office reads them, one query for the banner (the open ones) and the alerts page
(open or all, one campus or every one, a page at a time): each with its gate, its campus's zone, the
person and household, the incident it opened, and who acknowledged it when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from central.models.base import utc
from central.models.incidents import FeverIncident
from central.models.journal import FeverAlert
from central.models.registry import Gate, Household, Person
from central.office.incidents import REPORT_WITHIN
from central.office.zones import campus_zones


def _campus() -> Any:
    """An alert's campus: its own, or its gate's for an alert stored without one."""
    return func.coalesce(col(FeverAlert.campus_id), col(Gate.campus_id))


def _where(stmt: Select[Any], open_only: bool, campus_id: int | None) -> Select[Any]:
    stmt = stmt.join(Gate, col(Gate.gate_id) == FeverAlert.gate_id, isouter=True)
    if open_only:
        stmt = stmt.where(col(FeverAlert.acknowledged_at).is_(None))
    if campus_id is not None:
        stmt = stmt.where(_campus() == campus_id)
    return stmt


def listing(
    session: Session, *, open_only: bool, campus_id: int | None = None, limit: int, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Fever alerts newest first (those nobody acknowledged, with ``open_only``; one campus's, with
    ``campus_id``), ``limit`` from ``offset``, and how many there are. Times are ISO instants; ``tz``
    is the alert's campus's zone (None: none known, the page's), the one its times are shown in."""
    zones = campus_zones(session)
    count = session.execute(
        _where(sa_select(func.count(col(FeverAlert.id))), open_only, campus_id)
    ).scalar_one()
    stmt = _where(  # six columns: past sqlmodel's select overloads, so SQLAlchemy's own
        sa_select(
            FeverAlert, col(Gate.name_zh), _campus(), FeverIncident, col(Person.name), col(Household.label)
        ),
        open_only,
        campus_id,
    )
    stmt = (
        stmt.join(FeverIncident, col(FeverIncident.event_id) == FeverAlert.event_id, isouter=True)
        .join(Person, col(Person.id) == FeverIncident.person_id, isouter=True)
        .join(Household, col(Household.id) == Person.household_id, isouter=True)
        .order_by(col(FeverAlert.id).desc())
        .offset(offset)
        .limit(limit)
    )
    rows = [
        {
            "id": a.id,
            "gate_id": a.gate_id,
            "gate": gate or a.gate_id,
            "campus_id": campus,
            "tz": zone.key if (zone := zones.get(campus or 0)) else None,
            "celsius": a.celsius,
            "symptoms": [s for s in a.symptoms.split(",") if s],
            "at": a.created_at.isoformat(),
            "person": name or "",
            "household": label or "",
            "incident_id": incident.id if incident else None,
            "incident_state": incident.state if incident else None,
            "reported": bool(incident and incident.reported_at),
            # the one-hour rule: the prevention office must have the report by then
            "report_by": (utc(a.created_at) + REPORT_WITHIN).isoformat(),
            "acknowledged_at": utc(a.acknowledged_at).isoformat() if a.acknowledged_at else None,
            "acknowledged_by": a.acknowledged_by,  # None: acknowledged before who was recorded
        }
        for a, gate, campus, incident, name, label in session.execute(stmt)
    ]
    return rows, int(count)
