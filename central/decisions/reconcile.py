"""An event central already decided, again: answered with the stored decision, byte for byte; a late
copy carrying the gate's offline decision is logged once, beside central's verdict, as a
reconciliation row (flagged as a conflict when they differ)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from central.audit.canonical import CONTENT_FIELDS
from central.decisions.answer import offline_acknowledgement
from central.decisions.batch import Batch, Logged, NewEntry
from central.decisions.ledger import give_back
from central.models.journal import RECONCILE
from central.ops import metrics
from central.ops.logs import EVENT_ID
from gatecore.messages import ScanEvent
from gatecore.reasons import Reason, Verdict
from gatecore.tokens import named_pass

logger = logging.getLogger(__name__)

# reconciliation rows get an id derived from the event they complete, so that a second late
# copy of the same offline decision hits the unique key instead of logging twice
_RECONCILE_NS = uuid.UUID("6f1c7d2e-4b1a-5c8e-9d3f-0a1b2c3d4e5f")


def reconcile_id(event_id: str) -> str:
    """The id of the reconciliation row that completes ``event_id``."""
    return str(uuid.uuid5(_RECONCILE_NS, event_id))


Admit = Callable[[], "str | None"]  # takes what an offline admission took; the conflict, if any


def answer_again(
    batch: Batch, event: ScanEvent, stored: Logged, received_at: datetime, admit: Admit
) -> bytes:
    """The answer to a duplicate of a decided event (a QoS 1 redelivery, the gate's outbox resending);
    ``admit`` as for :func:`late_offline`."""
    token = EVENT_ID.set(event.event_id)  # every log line of this decision carries its event id
    try:
        answer = stored.decision_json.encode()
        if event.offline is not None and stored.offline_verdict is None:
            answer = late_offline(batch, event, stored, received_at, admit)
        metrics.DUPLICATES.inc()
        logger.info("duplicate event %s answered with its stored decision", event.event_id)
        return answer
    finally:
        EVENT_ID.reset(token)


def late_offline(
    batch: Batch, event: ScanEvent, stored: Logged, received_at: datetime, admit: Admit
) -> bytes:
    """The gate decided on its own after (or while) we decided: log what it did beside what we said,
    once, and answer with the acknowledgement that lets the gate drop its outbox row. Where central
    refused and the gate let the person in, ``admit`` takes what every admission takes (the household
    day, a one-time pass: central's decision took none) and says what it could not take."""
    assert event.offline is not None
    rid = reconcile_id(stored.event_id)
    done = batch.stored(rid)
    if done is not None:
        return done.decision_json.encode()
    conflict = None
    if event.offline.verdict.value != stored.verdict:
        conflict = (
            f"gate decided {event.offline.verdict.value}/{event.offline.reason.value} offline, "
            f"central decided {stored.verdict}/{stored.reason}"
        )
        if stored.verdict == Verdict.ALLOW.value and event.offline.verdict is not Verdict.ALLOW:
            # central's answer came too late: the gate turned the person away, who used nothing
            given = give_back(batch.session, batch.cache, stored, batch.added)
            if given:
                conflict += f"; central's {' and '.join(given)} given back"
        elif event.offline.verdict is Verdict.ALLOW:
            # the person came in all the same: nobody else may take the day they used
            taken = admit()
            if taken:
                conflict += f"; {taken}"
        logger.warning("event %s: offline decision conflicts with central: %s", event.event_id, conflict)
    row = NewEntry(**{name: getattr(stored, name) for name in CONTENT_FIELDS})
    row.kind, row.event_id, row.of_event, row.received_at = (
        RECONCILE,
        rid,
        stored.event_id,
        received_at,
    )
    row.offline_verdict, row.offline_reason = event.offline.verdict.value, event.offline.reason.value
    row.offline_policy_version, row.conflict = event.offline.policy_version, conflict
    answer = offline_acknowledgement(stored.decision_json, conflict)
    row.decision_json = answer.decode()
    batch.append(row)
    return answer


def altered(stored: Logged, event: ScanEvent, reconciled: Logged | None = None) -> str | None:
    """Why a copy of a logged event is not the event logged (its number, time, reading, direction,
    symptoms, override or pass differ), or None. It is still answered with the stored decision, byte
    for byte, as every duplicate is; the copy is kept as a dead letter, so what it carried (a fever,
    another person's pass, a guard's override) is not lost unseen. The log keeps the pass a QR text
    verified as, not the text: a copy of a code that named no pass is not compared by its text.
    A copy carrying the gate's offline decision is compared with the offline decision logged (the
    event's own, or ``reconciled``: the row a first late copy added); before one is logged it is
    the late copy that completes the event, not an altered one."""
    ov, off = event.override, event.offline
    logged_offline = stored if stored.offline_verdict is not None else reconciled
    kept_offline: tuple[object, object] | None = None
    sent_offline: tuple[object, object] | None = None
    if off is not None and logged_offline is not None:
        kept_offline = (logged_offline.offline_verdict, logged_offline.offline_reason)
        sent_offline = (off.verdict.value, off.reason.value)
    differ = [
        name
        for name, sent, kept in (
            ("seq", event.seq, stored.gate_seq),
            ("gate_time", event.gate_time, stored.gate_time),
            ("celsius", event.temperature.celsius, stored.celsius),
            ("sensor status", event.temperature.status.value, stored.sensor_status),
            ("direction", event.direction, stored.direction),
            ("symptoms", bool(event.symptoms), Reason.SYMPTOMS.value in stored.reasons.split(",")),
            (
                "override",
                (ov.of_event, ov.guard, ov.verdict.value, ov.reason) if ov else (None,) * 4,
                (stored.override_of, stored.override_guard, stored.override_verdict, stored.override_reason),
            ),
            ("pass", named_pass(event.qr) if stored.pass_id is not None else None, stored.pass_id),
            ("offline decision", sent_offline, kept_offline),
        )
        if sent != kept
    ]
    if not differ:
        return None
    return f"event id resent with another {', '.join(differ)}: answered with its first decision"


def collision(stored: Logged) -> str:
    """Why a copy of a logged event from another gate is refused."""
    # event ids are UUIDv7 with 74 random bits: the same id from two gates is a fault or an attack,
    # and answering it with the first gate's stored decision would show that gate's holder
    return f"event id already used by gate {stored.gate_id!r}"
