"""Dead letters: every payload central refuses is kept with the precise reason, never silently lost."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from central.models.db import session_scope
from central.models.journal import RejectedMessage
from gatecore import topics
from gatecore.messages import MAX_PAYLOAD, seq_of, shown

logger = logging.getLogger(__name__)


def store_rejected(engine: Engine, topic: str, payload: bytes, reason: str, received_at: datetime) -> None:
    """Record a refused payload (its first 8 KiB) in its own transaction."""
    # the reason names the field at fault and quotes values cut short and escaped (never the payload);
    # the topic is a publisher's text too: quoted, a newline in it cannot start a log line of its own
    logger.warning("rejected %d bytes on %s: %s", len(payload), shown(topic, 200), reason)
    with session_scope(engine) as session:
        session.add(
            RejectedMessage(
                topic=topic[:512],
                payload=bytes(payload[:MAX_PAYLOAD]),
                payload_size=len(payload),
                reason=reason,
                received_at=received_at,
                # a scan's number, so that a gap's refused numbers are found by the index
                gate_seq=seq_of(payload) if topics.events_of(topic) else None,
            )
        )
