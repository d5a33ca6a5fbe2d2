"""Dead letters: every payload central refuses is kept with the precise reason, never silently lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central.models.db import session_scope
from central.models.journal import RejectedMessage
from gatecore import topics
from gatecore.messages import MAX_PAYLOAD, seq_of, shown

logger = logging.getLogger(__name__)
KEPT_AGAIN_AFTER = timedelta(hours=1)  # the same refused payload, resent: kept at most this often


def store_rejected(engine: Engine, topic: str, payload: bytes, reason: str, received_at: datetime) -> None:
    """Record a refused payload (its first 8 KiB) in its own transaction."""
    # the reason names the field at fault and quotes values cut short and escaped (never the payload);
    # the topic is a publisher's text too: quoted, a newline in it cannot start a log line of its own
    logger.warning("rejected %d bytes on %s: %s", len(payload), shown(topic, 200), reason)
    kept = bytes(payload[:MAX_PAYLOAD])
    gate_seq = seq_of(payload) if topics.events_of(topic) else None  # a gap's refused numbers, by index
    with session_scope(engine) as session:
        if gate_seq is not None and _kept_before(session, topic[:512], gate_seq, kept, reason, received_at):
            # a gate resending what it cannot have logged (an offline copy central cannot read): once an
            # hour, not once a minute; a recent copy stays, which the sequence check reads as arrived
            logger.info("the same payload was kept within the hour with the same reason: not kept again")
            return
        session.add(
            RejectedMessage(
                topic=topic[:512],
                payload=kept,
                payload_size=len(payload),
                reason=reason,
                received_at=received_at,
                gate_seq=gate_seq,
            )
        )


def _kept_before(
    session: Session, topic: str, gate_seq: int, payload: bytes, reason: str, received_at: datetime
) -> bool:
    same = select(RejectedMessage.id).where(
        RejectedMessage.topic == topic,
        RejectedMessage.gate_seq == gate_seq,
        RejectedMessage.payload == payload,
        RejectedMessage.reason == reason,
        col(RejectedMessage.received_at) > received_at - KEPT_AGAIN_AFTER,
    )
    return session.exec(same.limit(1)).first() is not None
