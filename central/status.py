"""Gate status: the last retained ``gates/{id}/status`` of every gate, kept in GateState."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from central.db import dialect_insert, session_scope, utc
from central.deadletter import store_rejected
from central.models_log import GateState
from gatecore import topics
from gatecore.messages import GateStatus, MessageError

logger = logging.getLogger(__name__)


def record_status(
    engine: Engine, topic: str, payload: bytes, received_at: datetime, *, max_skew_s: float = 30.0
) -> GateStatus | None:
    """Store a gate's status (malformed ones become dead letters), with its clock skew at receipt
    flagged beyond ``max_skew_s``; the status, or None if refused."""
    received_at = utc(received_at)
    if not payload:
        return None  # an empty retained message is how a status is cleared, not an error
    try:
        return _record(engine, topic, payload, received_at, max_skew_s)
    except SQLAlchemyError as exc:
        logger.error("database unavailable; status on %s not recorded: %s", topic, type(exc).__name__)
        return None


def _record(
    engine: Engine, topic: str, payload: bytes, received_at: datetime, max_skew_s: float
) -> GateStatus | None:
    gate_id = topics.gate_of(topic)
    if gate_id is None or topic != topics.gate_status(gate_id):
        store_rejected(engine, topic, payload, "topic is not gates/{gate_id}/status", received_at)
        return None
    try:
        status = GateStatus.from_json(payload)
    except MessageError as exc:
        store_rejected(engine, topic, payload, str(exc), received_at)
        return None
    if status.gate_id != gate_id:
        reason = f"payload gate id {status.gate_id!r} does not match topic gate {gate_id!r}"
        store_rejected(engine, topic, payload, reason, received_at)
        return None
    # only a live status says what the gate's clock reads now; the Last Will carries no time.
    # A retained status replayed when central reconnects reads as skew until the gate's next one.
    skew = (status.at - received_at).total_seconds() if status.at and status.state == "online" else None
    clock_off = skew is not None and abs(skew) > max_skew_s
    if clock_off:
        logger.warning("gate %s clock is off by %.1f s (limit %.0f s)", gate_id, skew, max_skew_s)
    values = dict(
        state=status.state,
        camera=status.camera,
        thermometer=status.thermometer,
        outbox=status.outbox,
        policy_version=status.policy_version,
        at=status.at,
        last_seen=received_at,
        clock_skew_s=skew,
        clock_off=clock_off,
    )
    with session_scope(engine) as session:
        # an upsert, not read-then-write: two workers may see the same retained status at once
        stmt = dialect_insert(session, GateState).values(gate_id=gate_id, **values)
        session.execute(stmt.on_conflict_do_update(index_elements=["gate_id"], set_=values))
    logger.info(
        "gate %s is %s (camera %s, thermometer %s, outbox %d)",
        gate_id,
        status.state,
        status.camera,
        status.thermometer,
        status.outbox,
    )
    return status
