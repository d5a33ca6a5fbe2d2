"""What a daily report counts: every figure by SQL aggregation over its window (gate time for scans),
stored as the report's content by ``central.office.reports``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from central.audit.gaps import open_gaps
from central.models.base import utc
from central.models.incidents import FeverIncident
from central.models.journal import (
    RECONCILE,
    EntryEvent,
    FeverAlert,
    decided_offline,
    gate_reason,
    gate_verdict,
)
from central.office import report_details
from central.office.incidents import is_overdue
from gatecore.reasons import IDENTITY, Reason

IDENTITY_CODES = sorted(r.value for r in IDENTITY)


def build_content(
    session: Session, campus_id: int, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    """Every count the report carries, by SQL aggregation over the window (gate time for scans)."""
    e, names = EntryEvent, report_details.gate_names(session, campus_id)
    scans: list[Any] = [
        e.campus_id == campus_id,
        e.kind == "decision",
        col(e.gate_time) >= start,
        col(e.gate_time) < end,
    ]

    # what happened at the gate: an offline decision counts as the gate made it
    shown_verdict, shown_reason = gate_verdict(), gate_reason()

    def count(*extra: Any) -> int:
        return int(session.exec(select(func.count()).select_from(e).where(*scans, *extra)).one())

    def by_reason(verdict: str) -> dict[str, int]:
        stmt = (
            select(shown_reason, func.count()).where(*scans, shown_verdict == verdict).group_by(shown_reason)
        )
        return {reason: int(n) for reason, n in session.exec(stmt)}

    alerts: list[Any] = [
        FeverAlert.campus_id == campus_id,
        report_details.scanned_in(col(FeverAlert.event_id), campus_id, start, end),
    ]
    # an alert for symptoms alone (the guard marked a cough, the reading was normal) is no fever
    fever_alerts = report_details.is_fever(campus_id, col(FeverAlert.event_id), col(FeverAlert.symptoms))
    fevers = int(
        session.exec(select(func.count()).select_from(FeverAlert).where(*alerts, fever_alerts)).one()
    )
    opened = list(
        session.exec(
            select(FeverIncident).where(
                FeverIncident.campus_id == campus_id,
                report_details.scanned_in(col(FeverIncident.event_id), campus_id, start, end),
            )
        )
    )
    made_offline = decided_offline()  # however late the gate's copy came
    offline_decisions = select(e.gate_id, func.count()).where(*scans, made_offline)
    decided = {g: int(n) for g, n in session.exec(offline_decisions.group_by(e.gate_id))}
    reconciled: list[Any] = [
        e.campus_id == campus_id,
        e.kind == RECONCILE,
        col(e.received_at) >= start,
        col(e.received_at) < end,
    ]
    late_conflicts = int(
        session.exec(
            select(func.count()).select_from(e).where(*reconciled, col(e.conflict).is_not(None))
        ).one()
    )
    return {
        "entries": count(shown_verdict == "allow", e.direction == "in"),
        "exits": count(shown_verdict == "allow", e.direction == "out"),
        "scans": count(),
        "refusals": by_reason("deny"),
        # who the person is comes first (forged, revoked, deactivated, wrong campus): counted apart
        "identity_refusals": count(shown_verdict == "deny", shown_reason.in_(IDENTITY_CODES)),
        "exits_lapsed": count(shown_reason == Reason.OK_EXIT_LAPSED.value),
        "remeasure": by_reason("remeasure"),
        "referred": by_reason("refer"),
        "fevers": fevers,
        # seed 003 发烧咳嗽者: scans where the guard marked a cough or other symptoms (each opened an incident)
        "symptom_referrals": count(col(e.reasons).contains(Reason.SYMPTOMS.value)),
        # seed 003 封闭化管理 / seed 004 封闭住宿: kept-in people refused on the way out
        "closed_management_refusals": count(
            shown_verdict == "deny", shown_reason == Reason.CLOSED_MANAGEMENT.value
        ),
        "incidents": len(opened),
        "incidents_open": sum(1 for i in opened if i.closed_at is None),
        "incidents_overdue": sum(1 for i in opened if is_overdue(i.opened_at, i.reported_at, now)),
        "overrides": count(col(e.override_guard).is_not(None)),
        "offline_decisions": count(made_offline),
        "conflicts": count(col(e.conflict).is_not(None)) + late_conflicts,
        "gates_offline": report_details.gates_offline(session, campus_id, start, end, now, decided),
        # events a gate numbered that never reached central, and gates that numbered backwards:
        # every one still on record when the report is made, to be explained
        "sequence_gaps": [
            {
                "gate_id": g.gate_id,
                "name": names.get(g.gate_id, ""),
                "kind": g.kind,
                "first_seq": g.first_seq,
                "last_seq": g.last_seq,
            }
            for g in open_gaps(session, campus_id=campus_id, limit=100)
            if utc(g.detected_at) < end
        ],
        "per_gate": report_details.per_gate(session, campus_id, start, end),
        "cases": report_details.cases(session, campus_id, start, end),
    }
