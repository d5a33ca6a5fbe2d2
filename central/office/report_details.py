"""The report's detail tables: counts per gate, and the fever (and symptom) cases with their state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_
from sqlmodel import Session, col, func, select

from central.models.incidents import FeverIncident
from central.models.journal import EntryEvent, gate_verdict
from central.models.registry import Gate, Household, Person
from central.office.incidents import readings_of
from gatecore.reasons import Reason


def is_fever(campus_id: int, event_id: Any, symptoms: Any) -> Any:
    """Whether an alert or incident (its scan's ``event_id``, the ``symptoms`` the guard marked) is a
    fever: none marked, or its scan refused for a fever too. Symptoms at a normal reading are no fever.
    The scan is looked up by its unique key, never by scanning the campus's log."""
    e = EntryEvent
    fever_scan = exists().where(
        col(e.event_id) == event_id,
        col(e.campus_id) == campus_id,
        col(e.reasons).contains(Reason.FEVER.value),
    )
    return or_(symptoms == "", fever_scan)


def gate_names(session: Session, campus_id: int) -> dict[str, str]:
    """The campus's gates' Chinese names by gate id: what the report prints beside an id."""
    return {
        g: n for g, n in session.exec(select(Gate.gate_id, Gate.name_zh).where(Gate.campus_id == campus_id))
    }


def per_gate(session: Session, campus_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per gate of the campus: entries in, exits, refusals and scans in the window (gate time)."""
    e, verdict = EntryEvent, gate_verdict()
    window: list[Any] = [
        e.campus_id == campus_id,
        e.kind == "decision",
        col(e.gate_time) >= start,
        col(e.gate_time) < end,
    ]
    stmt = (
        select(e.gate_id, verdict, e.direction, func.count())
        .where(*window)
        .group_by(e.gate_id, verdict, e.direction)
    )
    names = gate_names(session, campus_id)
    rows: dict[str, dict[str, Any]] = {
        g: {"gate_id": g, "name": n, "entries": 0, "exits": 0, "refusals": 0, "scans": 0}
        for g, n in names.items()
    }
    for gate_id, shown, direction, n in session.exec(stmt):
        row = rows.setdefault(
            gate_id,
            {"gate_id": gate_id, "name": gate_id, "entries": 0, "exits": 0, "refusals": 0, "scans": 0},
        )
        row["scans"] += int(n)
        if shown == "allow":
            row["entries" if direction != "out" else "exits"] += int(n)
        elif shown == "deny":
            row["refusals"] += int(n)
    return [rows[g] for g in sorted(rows)]


def cases(session: Session, campus_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The incidents opened in the window: when, where, who, household, readings, the symptoms marked,
    state, report; ``kind`` is ``fever``, or ``symptoms`` for symptoms at a normal reading."""
    fever = is_fever(campus_id, col(FeverIncident.event_id), col(FeverIncident.symptoms))
    stmt = (
        select(FeverIncident, Person.name, Household.label, fever)
        .join(Person, col(Person.id) == FeverIncident.person_id, isouter=True)
        .join(Household, col(Household.id) == Person.household_id, isouter=True)
        .where(
            FeverIncident.campus_id == campus_id,
            col(FeverIncident.opened_at) >= start,
            col(FeverIncident.opened_at) < end,
        )
        .order_by(col(FeverIncident.opened_at))
    )
    names = gate_names(session, campus_id)
    return [
        {
            "id": i.id,
            "at": i.opened_at.isoformat(),
            "gate_id": i.gate_id,
            "gate_name": names.get(i.gate_id, ""),
            "person": name or "",
            "household": label or "",
            # as the office reads them: one that is no number (stored before they were checked) is "—"
            "readings": ",".join("—" if r is None else f"{r:.1f}" for r in readings_of(i)),
            "state": i.state,
            "reported_at": i.reported_at.isoformat() if i.reported_at else None,
            "kind": "fever" if had_fever else "symptoms",
            "symptoms": [x for x in i.symptoms.split(",") if x],
        }
        for i, name, label, had_fever in session.exec(stmt)
    ]
