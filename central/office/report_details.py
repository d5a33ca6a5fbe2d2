"""The report's detail tables: counts per gate, the gates offline, and the fever (and symptom) cases
with their state."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_
from sqlmodel import Session, col, func, select

from central.models.base import utc
from central.models.incidents import FeverIncident
from central.models.journal import EntryEvent, GateOutage, gate_verdict
from central.models.registry import Gate, Household, Person
from central.office.incidents import readings_of
from gatecore.reasons import Reason


def scanned_in(event_id: Any, campus_id: int, start: datetime, end: datetime) -> Any:
    """Whether a fever alert's or incident's scan (its ``event_id``) was made at the campus in the
    window by the gate's time, as the report counts scans: central records the alert when it receives
    the scan, which for a gate offline across the report's hour would put the fever in one day's report
    and its refusal in another's."""
    e = EntryEvent
    window = select(e.event_id).where(
        e.campus_id == campus_id, e.kind == "decision", col(e.gate_time) >= start, col(e.gate_time) < end
    )
    return event_id.in_(window)


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
    """The incidents of the window's scans (see :func:`scanned_in`): when, where, who, household, readings, the symptoms marked,
    state, report; ``kind`` is ``fever``, or ``symptoms`` for symptoms at a normal reading."""
    fever = is_fever(campus_id, col(FeverIncident.event_id), col(FeverIncident.symptoms))
    stmt = (
        select(FeverIncident, Person.name, Household.label, fever)
        .join(Person, col(Person.id) == FeverIncident.person_id, isouter=True)
        .join(Household, col(Household.id) == Person.household_id, isouter=True)
        .where(
            FeverIncident.campus_id == campus_id,
            scanned_in(col(FeverIncident.event_id), campus_id, start, end),
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


def gates_offline(
    session: Session, campus_id: int, start: datetime, end: datetime, now: datetime, decided: dict[str, int]
) -> list[dict[str, Any]]:
    """Every gate of the campus offline during the window (a recorded outage overlapping it, or
    offline decisions made in it), with its minutes offline inside the window, by gate id.

    An outage still open counts up to ``now`` (or the window's end); a gate that decided offline
    without a recorded outage (the broker itself was down, so no Last Will reached central) has 0.
    ``at_least`` marks a gate with an outage central learned of only on reconnecting: its start is
    when central heard it, so the minutes are a lower bound.
    """
    o = GateOutage
    stmt = (
        select(o)
        .join(Gate, col(Gate.gate_id) == o.gate_id)
        .where(Gate.campus_id == campus_id, col(o.went_offline_at) < end)
        .where(or_(col(o.back_online_at).is_(None), col(o.back_online_at) > start))
    )
    seconds: dict[str, float] = {}
    outages: dict[str, int] = {}
    unsure: set[str] = set()  # an outage central only learned of on reconnect began earlier than recorded
    names = gate_names(session, campus_id)
    for outage in session.exec(stmt):
        until = min(utc(outage.back_online_at) if outage.back_online_at else utc(now), end)
        span = (until - max(utc(outage.went_offline_at), start)).total_seconds()
        seconds[outage.gate_id] = seconds.get(outage.gate_id, 0.0) + max(0.0, span)
        outages[outage.gate_id] = outages.get(outage.gate_id, 0) + 1
        if outage.cause == "retained_on_reconnect":
            unsure.add(outage.gate_id)
    return [
        {
            "gate_id": gate_id,
            "name": names.get(gate_id, gate_id),
            "outages": outages.get(gate_id, 0),
            "minutes": math.ceil(seconds.get(gate_id, 0.0) / 60),
            "offline_decisions": decided.get(gate_id, 0),
            "at_least": gate_id in unsure,
        }
        for gate_id in sorted(set(outages) | set(decided))
    ]
