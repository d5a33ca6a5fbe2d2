"""From a decision to what is published and logged: the DecisionMessage, the entry-log row, the alert."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session, SQLModel, select

from central.decisions.batch import NewEntry
from central.models.journal import EntryEvent, FeverAlert
from gatecore.messages import DecisionMessage, ScanEvent
from gatecore.messages import FeverAlert as FeverAlertMessage
from gatecore.policy import Decision, Facts
from gatecore.reasons import Reason
from gatecore.tokens import PassClaims
from gatecore.wire import clipped

REFUSED_SHOWN = 200  # characters of a refusal's reason an answer carries to the gate


class Outgoing(NamedTuple):
    """One message to publish (QoS 1)."""

    topic: str
    payload: bytes
    retain: bool = False


def decision_message(
    event: ScanEvent, decision: Decision, facts: Facts, decided_at: datetime, conflict: str | None
) -> DecisionMessage:
    """The answer the gate displays; words and guard instruction come from the reason code."""
    info = decision.reason.info
    detail = dict(decision.detail)
    if conflict:
        detail["conflict"] = conflict
    return DecisionMessage(
        event_id=event.event_id,
        gate_id=event.gate_id,
        verdict=decision.verdict,
        reason=decision.reason,
        reasons=[r.value for r in decision.reasons],
        text_zh=info.zh,
        text_en=info.en,
        action_zh=info.action_zh,
        action_en=info.action_en,
        holder=facts.holder_name,
        household=facts.household_label,
        celsius=event.temperature.celsius,
        # the gate already let the person through or not when it decided offline: a late answer
        # acknowledges the event and must not swing the turnstile open now
        open=decision.open_turnstile and event.offline is None,
        policy_version=decision.policy_version,
        decided_at=decided_at,
        offline=event.offline is not None,
        detail=detail,
        # logged in the same transaction as this answer: the gate may now drop its outbox row
        offline_recorded=event.offline is not None,
    )


def offline_acknowledgement(stored_json: str, conflict: str | None) -> bytes:
    """The answer to a late copy carrying the gate's offline decision: central's stored decision, now
    acknowledging that the offline verdict is in the log (and never opening the barrier again)."""
    stored = DecisionMessage.from_json(stored_json.encode())
    detail = dict(stored.detail)
    if conflict:
        detail["conflict"] = conflict
    acknowledged = dataclasses.replace(stored, open=False, offline=True, offline_recorded=True, detail=detail)
    return acknowledged.to_json()


def refusal_message(gate_id: str, event_id: str, why: str, decided_at: datetime) -> DecisionMessage:
    """The ``refer`` answer to a scan central refused (a dead letter): the gate stops waiting and resending,
    the guard checks by hand; ``why`` names the field at fault, never the payload's content."""
    info = Reason.EVENT_REFUSED.info
    return DecisionMessage(
        event_id=event_id,
        gate_id=gate_id,
        verdict=info.verdict,
        reason=Reason.EVENT_REFUSED,
        reasons=[Reason.EVENT_REFUSED.value],
        text_zh=info.zh,
        text_en=info.en,
        action_zh=info.action_zh,
        action_en=info.action_en,
        holder="",
        household="",
        celsius=None,
        open=False,
        policy_version=0,
        decided_at=decided_at,
        detail={"refused": clipped(why, REFUSED_SHOWN)},  # the dead letter keeps it whole
    )


def entry_row(
    event: ScanEvent,
    campus_id: int | None,
    decision: Decision,
    payload: bytes,
    conflict: str | None,
    received_at: datetime,
    whose: PassClaims | None = None,
) -> NewEntry:
    """The entry-log row for a decided event (not yet chained: the batch appends it to the chain); it
    names ``whose`` pass it is when the signature held though its time did not, else the decision's."""
    claims = decision.claims or whose
    return NewEntry.of(
        event_id=event.event_id,
        gate_id=event.gate_id,
        gate_seq=event.seq,
        campus_id=campus_id,
        pass_id=claims.pass_id if claims else None,
        person_id=claims.person_id if claims else None,  # a vehicle pass: the vehicle id, as in the token
        household_id=(claims.household_id or None) if claims else None,
        direction=event.direction,
        gate_time=event.gate_time,
        received_at=received_at,
        celsius=event.temperature.celsius,
        sensor_status=event.temperature.status.value,
        verdict=decision.verdict.value,
        reason=decision.reason.value,
        reasons=",".join(r.value for r in decision.reasons),
        policy_version=decision.policy_version,
        offline_verdict=event.offline.verdict.value if event.offline else None,
        offline_reason=event.offline.reason.value if event.offline else None,
        offline_policy_version=event.offline.policy_version if event.offline else None,
        conflict=conflict,
        override_of=event.override.of_event if event.override else None,
        override_guard=event.override.guard if event.override else None,
        override_verdict=event.override.verdict.value if event.override else None,
        override_reason=event.override.reason if event.override else None,
        decision_json=payload.decode(),
    )


def raises_alert(
    session: Session,
    event: ScanEvent,
    decision: Decision,
    pending: Sequence[SQLModel] = (),
    logged: Sequence[NewEntry] = (),
) -> bool:
    """Whether a decision opens a fever alert and its incident: a fever, or symptoms the guard marked.
    A guard's override repeats the scan it overrides (its reading, its reasons): it opens none when
    that scan raised one already, or an override before it did (an override of an override: the guard
    changed their mind), so a case counts once. Alerts and log rows are read in the log and among the
    batch's (``pending``, ``logged``); when central never had the scan (lost, or a dead letter), the
    first override's is the only alert."""
    if not decision.alert:
        return False
    of = event.override.of_event if event.override is not None else None
    seen = set()
    while of is not None and of not in seen:  # back along the overrides to the scan
        seen.add(of)
        if any(isinstance(row, FeverAlert) and row.event_id == of for row in pending):
            return False
        if session.exec(select(FeverAlert.id).where(FeverAlert.event_id == of)).first() is not None:
            return False
        of = _overridden(session, of, logged)
    return True


def _overridden(session: Session, event_id: str, logged: Sequence[NewEntry]) -> str | None:
    # the event that ``event_id`` overrode, if it is an override (in the batch, or in the log)
    for row in logged:
        if row.event_id == event_id:
            return row.override_of  # type: ignore[no-any-return]
    return session.exec(select(EntryEvent.override_of).where(EntryEvent.event_id == event_id)).first()


def fever_alert(
    event: ScanEvent, campus_id: int | None, facts: Facts, received_at: datetime
) -> tuple[FeverAlert, FeverAlertMessage]:
    """The alert row for the security office and the message for the office-wide topic (a fever, or
    symptoms the guard marked)."""
    celsius = event.temperature.celsius
    row = FeverAlert(
        event_id=event.event_id,
        gate_id=event.gate_id,
        campus_id=campus_id,
        celsius=celsius,
        symptoms=",".join(event.symptoms),
        created_at=received_at,
    )
    message = FeverAlertMessage(
        event_id=event.event_id,
        gate_id=event.gate_id,
        campus_id=campus_id or 0,
        celsius=celsius,
        holder=facts.holder_name,
        household=facts.household_label,
        at=event.gate_time,
        symptoms=event.symptoms,
    )
    return row, message
