"""An event central could not decide (a bad stored setting, a bug): the gate is still answered
(``refer``, ``decision_error``), the payload is kept as a dead letter, and the answer is logged.

The gate shows that answer, so it is an entry-log row like any other, with the gate's own offline
decision when the copy carries one (and a fever alert and its incident when the reading is a fever
by the default threshold): a resend is answered with the same bytes, as any duplicate, even when it
cannot be decided either. A late copy carrying the gate's offline decision of an event logged before
is reconciled as any (central.decisions.reconcile), claiming nothing: the gate drops it from its
outbox, instead of resending it for as long as central cannot decide. Should logging
fail too, the answer still goes out; the dead letter holds what came.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from central.decisions.answer import Outgoing, decision_message, entry_row, fever_alert, raises_alert
from central.decisions.batch import Batch
from central.decisions.deadletter import store_rejected
from central.decisions.judge import alerting
from central.decisions.reconcile import answer_again, reconcile_id
from central.models.db import session_scope, unavailable
from central.models.registry import Gate
from central.office.incidents import incident_for
from gatecore import topics
from gatecore.messages import MessageError, ScanEvent
from gatecore.policy import Decision, Facts
from gatecore.reasons import Reason, Verdict

logger = logging.getLogger(__name__)
UNDECIDED = "central could not decide: no household day claimed"


def failed(
    engine: Engine, topic: str, payload: bytes, received_at: datetime, exc: Exception
) -> list[Outgoing]:
    """What to publish for an event that could not be decided: never silence."""
    try:
        store_rejected(engine, topic, payload, f"decision failed: {type(exc).__name__}: {exc}", received_at)
    except SQLAlchemyError as db_exc:
        logger.error("dead letter not stored either: %s", unavailable(db_exc))
    try:
        event = ScanEvent.from_json(payload)
    except MessageError:
        return []
    r = Reason.DECISION_ERROR
    decision = Decision(Verdict.REFER, r, (r, *alerting(event)), 0, detail={"error": type(exc).__name__})
    message = decision_message(event, decision, Facts(), received_at, None).to_json()
    stored, alerted = _log(engine, event, decision, message, received_at)
    if stored is not None:  # a copy of an event logged before: answered as first, alerted once
        return [Outgoing(topics.gate_decisions(event.gate_id), stored)]
    out = [Outgoing(topics.gate_decisions(event.gate_id), message)]
    if decision.alert if alerted is None else alerted:  # not logged: rather twice than never
        _, alert = fever_alert(event, None, Facts(), received_at)
        out.append(Outgoing(topics.FEVER_ALERTS, alert.to_json()))
    return out


def _log(
    engine: Engine, event: ScanEvent, decision: Decision, message: bytes, received_at: datetime
) -> tuple[bytes | None, bool | None]:
    # (the stored answer when the event was logged before, whether it raised an alert; None: not logged)
    try:
        with session_scope(engine) as session:
            batch = Batch(session, [event.event_id, reconcile_id(event.event_id)])
            stored = batch.stored(event.event_id)
            if stored is not None:  # another gate's event id is never answered with its decision
                if stored.gate_id != event.gate_id:
                    return None, False
                answer = answer_again(batch, event, stored, received_at, lambda: UNDECIDED)
                batch.finish()  # the reconciliation row a late offline copy adds, if it does
                return answer, False
            gate = session.get(Gate, event.gate_id)
            campus_id = gate.campus_id if gate is not None else None
            admitted = event.offline is not None and event.offline.verdict is Verdict.ALLOW
            # the gate let the person in, and central could not say whose day that took
            conflict = f"gate admitted offline; {UNDECIDED}" if admitted else None
            batch.append(entry_row(event, campus_id, decision, message, conflict, received_at))
            alerted = raises_alert(session, event, decision)
            if alerted:
                row, _ = fever_alert(event, campus_id, Facts(), received_at)
                batch.with_rows += [row, incident_for(row, None)]
            batch.finish()
            return None, alerted
    except Exception as log_exc:  # the answer goes out regardless; the dead letter holds the payload
        logger.error(
            "event %s: the refer answer could not be logged: %s", event.event_id, unavailable(log_exc)
        )
    return None, None
