"""Gate status: the last retained ``gates/{id}/status`` of every gate, kept in GateState, and the
periods each gate was offline, kept in GateOutage."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from central.decisions.deadletter import store_rejected
from central.models.base import dialect_insert, one_of, utc
from central.models.db import session_scope, unavailable
from central.models.journal import GateOutage, GateState
from gatecore import topics
from gatecore.messages import GateStatus, MessageError

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    """One status message as it came off the broker (``retained``: the broker's replay on subscribing)."""

    topic: str
    payload: bytes
    received_at: datetime
    retained: bool = False


@dataclass(slots=True)
class _Stored:
    state: str
    last_seen: datetime
    clock_skew_s: float | None
    clock_off: bool


def record_status(
    engine: Engine,
    topic: str,
    payload: bytes,
    received_at: datetime,
    *,
    max_skew_s: float = 30.0,
    retained: bool = False,
) -> GateStatus | None:
    """Store one gate status (see :func:`record_statuses`); the status, or None if refused."""
    stored = record_statuses(engine, [Received(topic, payload, received_at, retained)], max_skew_s=max_skew_s)
    return stored[0] if stored else None


def record_statuses(
    engine: Engine, batch: Sequence[Received], *, max_skew_s: float = 30.0
) -> list[GateStatus]:
    """Store a batch of gate statuses in one transaction (malformed ones become dead letters), with each
    gate's clock skew at receipt flagged beyond ``max_skew_s``, and open or close a gate's outage on a
    change of state. A thousand gates send a status every few seconds each: one transaction and one
    upsert per gate for the batch, not one per status.

    A retained replay carries the status's old time, so the skew stored before is kept. Returns the
    statuses taken (an empty list when the database is unavailable: the gates send them again).
    """
    parsed: list[tuple[GateStatus, Received]] = []
    for item in batch:
        if not item.payload:
            continue  # an empty retained message is how a status is cleared, not an error
        status = _parse(engine, item.topic, item.payload, utc(item.received_at))
        if status is not None:
            parsed.append((status, item))
    if not parsed:
        return []
    # by gate (stable: each gate's statuses stay in arrival order), so two workers lock rows alike
    parsed.sort(key=lambda p: p[0].gate_id)
    try:
        with session_scope(engine) as session:
            return _record(session, parsed, max_skew_s)
    except SQLAlchemyError as exc:
        logger.error("database unavailable; %d statuses not recorded: %s", len(parsed), unavailable(exc))
        return []


def _parse(engine: Engine, topic: str, payload: bytes, received_at: datetime) -> GateStatus | None:
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
    return status


def _skew(status: GateStatus, received_at: datetime) -> float | None:
    # only a live status says what the gate's clock reads now; the Last Will carries no time
    return (status.at - received_at).total_seconds() if status.at and status.state == "online" else None


def _record(
    session: Session, parsed: list[tuple[GateStatus, Received]], max_skew_s: float
) -> list[GateStatus]:
    # the row locks (PostgreSQL; SQLite's write transaction serialises anyway), taken in gate order,
    # make each previous state the one this transaction replaces: two workers cannot both see a change
    gate_ids = sorted({status.gate_id for status, _ in parsed})
    locked = (
        select(GateState).where(one_of(session, col(GateState.gate_id), gate_ids)).order_by(GateState.gate_id)
    )
    stored = {
        row.gate_id: _Stored(row.state, utc(row.last_seen), row.clock_skew_s, row.clock_off)
        for row in session.exec(locked.with_for_update())
    }
    latest: dict[str, dict[str, Any]] = {}
    taken: list[GateStatus] = []
    for status, item in parsed:
        gate_id, received_at, retained = status.gate_id, utc(item.received_at), item.retained
        previous = stored.get(gate_id)
        taken.append(status)
        if previous is not None and received_at < previous.last_seen:
            # another worker already stored a status it received later than this one
            logger.debug("gate %s: status received %s is older than the one stored", gate_id, received_at)
            continue
        # a replay, the Last Will and the gate's on-reconnect copy carry no reading of the gate's
        # clock now: the skew measured before stands
        unclocked = retained or status.at is None
        if unclocked and previous is not None:
            skew, clock_off = previous.clock_skew_s, previous.clock_off
        else:
            skew = None if retained else _skew(status, received_at)
            clock_off = skew is not None and abs(skew) > max_skew_s
        if clock_off and not unclocked:
            logger.warning("gate %s clock is off by %.1f s (limit %.0f s)", gate_id, skew, max_skew_s)
        before = previous.state if previous is not None else None
        _track_outage(session, status, before, received_at, retained)
        if before != status.state:
            logger.info(
                "gate %s is %s (camera %s, thermometer %s, outbox %d)",
                gate_id,
                status.state,
                status.camera,
                status.thermometer,
                status.outbox,
            )
        stored[gate_id] = _Stored(status.state, received_at, skew, clock_off)
        latest[gate_id] = dict(
            gate_id=gate_id,
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
    if latest:
        # an upsert, not an insert: two workers may see a gate's first status at once
        upsert = dialect_insert(session, GateState)
        fields = [c for c in next(iter(latest.values())) if c != "gate_id"]
        upsert = upsert.on_conflict_do_update(
            index_elements=["gate_id"], set_={c: upsert.excluded[c] for c in fields}
        )
        session.execute(upsert, list(latest.values()))
    return taken


def _track_outage(
    session: Session, status: GateStatus, before: str | None, at: datetime, retained: bool
) -> None:
    """Open an outage when an online gate goes offline, close it when the gate is back online.

    A gate stopped on purpose is offline too, so its time counts; but it is no fault, so it is
    logged as stopped, not warned of.
    """
    gate_id, now_state = status.gate_id, status.state
    if before == "online" and now_state == "offline":
        cause = "retained_on_reconnect" if retained else "stopped" if status.stopped else "offline_status"
        # the partial unique index keeps one open outage per gate, whatever raced us
        stmt = dialect_insert(session, GateOutage).values(gate_id=gate_id, went_offline_at=at, cause=cause)
        session.execute(stmt.on_conflict_do_nothing())
        if status.stopped:
            logger.info("gate %s stopped (orderly shutdown%s)", gate_id, f", {cause}" if retained else "")
        else:
            logger.warning("gate %s went offline (%s)", gate_id, cause)
    elif before == "offline" and now_state == "online":
        closed = session.execute(
            update(GateOutage)
            .where(col(GateOutage.gate_id) == gate_id, col(GateOutage.back_online_at).is_(None))
            .values(back_online_at=at)
        )
        if closed.rowcount:  # type: ignore[attr-defined]
            logger.info("gate %s is back online", gate_id)
