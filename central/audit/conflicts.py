"""Conflicts: entry-log rows where a gate's offline decision disagreed with central's."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from central.models.journal import EntryEvent


def flagged(
    session: Session, *, gate_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[EntryEvent]:
    """Entry-log rows flagged with a conflict, newest first: the one query the API and dashboard share."""
    stmt = select(EntryEvent).where(col(EntryEvent.conflict).is_not(None))
    if gate_id is not None:
        stmt = stmt.where(EntryEvent.gate_id == gate_id)
    return list(session.exec(stmt.order_by(col(EntryEvent.seq).desc()).offset(offset).limit(limit)))


def count_flagged(session: Session, *, since: datetime) -> int:
    """How many conflicts central flagged (received) since ``since``."""
    stmt = (
        select(func.count())
        .select_from(EntryEvent)
        .where(col(EntryEvent.conflict).is_not(None), col(EntryEvent.received_at) >= since)
    )
    return int(session.exec(stmt).one())
