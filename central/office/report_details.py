"""The report's detail tables: counts per gate, and the fever (and symptom) cases with their state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from central.models.incidents import FeverIncident
from central.models.journal import EntryEvent, gate_verdict
from central.models.registry import Gate, Household, Person


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
    names = {g.gate_id: g.name_zh for g in session.exec(select(Gate).where(Gate.campus_id == campus_id))}
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
    """The fever incidents opened in the window: when, where, who, household, readings, state, report."""
    stmt = (
        select(FeverIncident, Person.name, Household.label)
        .join(Person, col(Person.id) == FeverIncident.person_id, isouter=True)
        .join(Household, col(Household.id) == Person.household_id, isouter=True)
        .where(
            FeverIncident.campus_id == campus_id,
            col(FeverIncident.opened_at) >= start,
            col(FeverIncident.opened_at) < end,
        )
        .order_by(col(FeverIncident.opened_at))
    )
    return [
        {
            "id": i.id,
            "at": i.opened_at.isoformat(),
            "gate_id": i.gate_id,
            "person": name or "",
            "household": label or "",
            "readings": i.readings,
            "state": i.state,
            "reported_at": i.reported_at.isoformat() if i.reported_at else None,
            "kind": "fever",
        }
        for i, name, label in session.exec(stmt)
    ]
