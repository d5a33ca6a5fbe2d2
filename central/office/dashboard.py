"""What the live dashboard shows: gate states (and since when a gate is offline), new log rows,
open fever alerts, today's charts, offline-reconciliation conflicts.

Plain queries over the database the worker writes, so the API process needs no message bus of its
own: the event stream polls these every few hundred milliseconds (see dashboard_api).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from central.audit.conflicts import count_flagged, flagged
from central.audit.gaps import count_gaps
from central.models.base import utc
from central.models.journal import EntryEvent, FeverAlert, GateOutage, GateState, gate_reason, gate_verdict
from central.models.registry import Gate, Household, Person
from central.office import fever_alerts
from central.office.windows import day_start
from central.office.zones import campus_zones
from gatecore.campus import DEFAULT_TZ
from gatecore.masking import mask_name
from gatecore.reasons import REASONS, Reason

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=3)  # a gate status this old says nothing about now
FEED_BATCH = 50
LATEST_CONFLICTS = 5


def _reason_zh(code: str) -> str:
    return REASONS[Reason(code)].zh if code in Reason._value2member_map_ else code


def gates(session: Session) -> list[dict[str, Any]]:
    """Every registered gate (and any gate that reported without being registered) with its state."""
    rows = session.exec(
        select(Gate, GateState).join(GateState, col(GateState.gate_id) == Gate.gate_id, isouter=True)
    )
    out = []
    for gate, state in rows:
        out.append(
            {
                "gate_id": gate.gate_id,
                "name": gate.name_zh,
                "campus_id": gate.campus_id,
                "state": state.state if state else "unknown",
                "camera": state.camera if state else "unknown",
                "thermometer": state.thermometer if state else "unknown",
                "outbox": state.outbox if state else 0,
                "policy_version": state.policy_version if state else None,
                "last_seen": state.last_seen.isoformat() if state else None,
            }
        )
    stmt = select(EntryEvent.gate_id, func.max(EntryEvent.received_at)).group_by(EntryEvent.gate_id)
    last = {gate_id: at for gate_id, at in session.exec(stmt)}
    down = open_outages(session)
    for g in out:
        gate_id = str(g["gate_id"])
        at = last.get(gate_id)
        g["last_event"] = utc(at).isoformat() if at else None
        outage = down.get(gate_id) if g["state"] == "offline" else None
        g["offline_since"] = outage[0].isoformat() if outage else None
        g["offline_since_or_earlier"] = outage is not None and outage[1] == "retained_on_reconnect"
    return sorted(out, key=lambda g: g["gate_id"])


def zones(session: Session) -> tuple[str, dict[str, str]]:
    """The dashboard's clocks: its own time zone (the first campus's; ``DEFAULT_TZ`` before there is
    one) and each gate's (its campus's), so that a time reads as the wall clock where it happened."""
    # a browser refuses a zone it does not know: each one through the one fallback
    campuses = {cid: zone.key for cid, zone in sorted(campus_zones(session).items())}
    home = next(iter(campuses.values()), DEFAULT_TZ)
    return home, {g: campuses.get(c, home) for g, c in session.exec(select(Gate.gate_id, Gate.campus_id))}


def last_seq(session: Session) -> int:
    """The newest entry-log seq (the feed starts after it)."""
    return int(session.exec(select(func.max(EntryEvent.seq))).one() or 0)


def new_entries(session: Session, after: int) -> list[dict[str, Any]]:
    """Log rows after seq ``after``, oldest first (no names: ids and codes only)."""
    stmt = (
        select(EntryEvent).where(col(EntryEvent.seq) > after).order_by(col(EntryEvent.seq)).limit(FEED_BATCH)
    )
    return [
        {
            "seq": r.seq,
            "gate_id": r.gate_id,
            "direction": r.direction,
            "verdict": r.verdict,
            "reason": r.reason,
            "reason_zh": _reason_zh(r.reason),
            "celsius": r.celsius,
            "at": r.gate_time.isoformat(),
            "offline": r.offline_verdict is not None,
            "override": r.override_guard is not None,
        }
        for r in session.exec(stmt)
    ]


def open_alerts(session: Session) -> list[dict[str, Any]]:
    """Fever alerts nobody has acknowledged, newest first (the latest hundred), each with its campus's
    zone (``tz``): the banner on every console page shows its times in it, named."""
    return fever_alerts.listing(session, open_only=True, limit=100)[0]


def acknowledge(session: Session, alert_id: int, now: datetime, *, by: str) -> bool:
    """User ``by`` acknowledges a fever alert; False if there is no such alert (acknowledging twice is
    fine: the first one's who and when stand)."""
    alert = session.get(FeverAlert, alert_id, with_for_update=True)
    if alert is None:
        return False
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = utc(now), by
        session.add(alert)
        logger.info("fever alert %s acknowledged by %s", alert_id, by)
    return True


def _day_start(now: datetime, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    return day_start(now.astimezone(zone).date(), zone)


def conflicts(session: Session, now: datetime, tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """Conflicts flagged today (local) and the latest few: gate, time, masked person, what disagreed."""
    rows = flagged(session, limit=LATEST_CONFLICTS)
    person_ids, household_ids = {r.person_id for r in rows}, {r.household_id for r in rows}
    people = {p.id: p.name for p in session.exec(select(Person).where(col(Person.id).in_(person_ids)))}
    homes = {
        h.id: h.label for h in session.exec(select(Household).where(col(Household.id).in_(household_ids)))
    }
    latest = []
    for r in rows:
        name = people.get(r.person_id) if r.person_id is not None else None
        latest.append(
            {
                "seq": r.seq,
                "gate_id": r.gate_id,
                "at": r.gate_time.isoformat(),
                "received_at": r.received_at.isoformat(),
                "person": mask_name(name) if name else None,
                "household": homes.get(r.household_id) if r.household_id is not None else None,
                "offline_verdict": r.offline_verdict,
                "offline_reason_zh": _reason_zh(r.offline_reason or ""),
                "verdict": r.verdict,
                "reason_zh": _reason_zh(r.reason),
                "conflict": r.conflict,
            }
        )
    gaps = count_gaps(session)  # unexplained numbering gaps and regressions of every gate
    return {
        "today": count_flagged(session, since=_day_start(now, tz)),
        "latest": latest,
        "gaps": gaps["missing"],
        "regressions": gaps["regressions"],
    }


def charts(session: Session, now: datetime, tz: str = DEFAULT_TZ) -> dict[str, Any]:
    """Today's (local) entries per hour per gate and refusals by reason."""
    zone = ZoneInfo(tz)
    start = _day_start(now, tz)
    today: list[Any] = [col(EntryEvent.gate_time) >= start, EntryEvent.kind == "decision"]
    per_hour: dict[str, list[int]] = {}
    stmt = select(EntryEvent.gate_id, EntryEvent.gate_time).where(
        *today, gate_verdict() == "allow", EntryEvent.direction == "in"
    )
    for gate_id, at in session.exec(stmt):
        per_hour.setdefault(gate_id, [0] * 24)[utc(at).astimezone(zone).hour] += 1
    reason = gate_reason()  # one expression for the select and the grouping (PostgreSQL compares them)
    refusals = session.exec(
        select(reason, func.count()).where(*today, gate_verdict() == "deny").group_by(reason)
    )
    return {
        "per_hour": per_hour,
        "refusals": sorted(
            ({"reason": r, "label": _reason_zh(r), "count": int(n)} for r, n in refusals),
            key=lambda x: -x["count"],
        ),
    }


def open_outages(session: Session) -> dict[str, tuple[datetime, str]]:
    """Gate id -> (when its current outage began, how central learned it), for every gate offline now;
    a cause of ``retained_on_reconnect`` means it began at that time or earlier."""
    stmt = select(GateOutage.gate_id, GateOutage.went_offline_at, GateOutage.cause)
    stmt = stmt.where(col(GateOutage.back_online_at).is_(None))
    return {gate_id: (utc(at), cause) for gate_id, at, cause in session.exec(stmt)}
