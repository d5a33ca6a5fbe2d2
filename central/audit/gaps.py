"""Sequence gaps and regressions on record (central.decisions.sequence finds them): the office's
list of what never arrived from a gate, or a gate that numbered backwards."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from central.models.journal import SequenceGap

GAP, REGRESSION = "gap", "regression"


def open_gaps(session: Session, *, campus_id: int | None = None, limit: int = 50) -> list[SequenceGap]:
    """Gaps and regressions still to explain, newest first."""
    stmt = select(SequenceGap)
    if campus_id is not None:
        stmt = stmt.where(SequenceGap.campus_id == campus_id)
    return list(session.exec(stmt.order_by(col(SequenceGap.id).desc()).limit(limit)))


def count_gaps(
    session: Session, *, campus_id: int | None = None, since: datetime | None = None
) -> dict[str, int]:
    """How many events never arrived (in open gaps) and how many regressions are on record."""
    where: list = []
    if campus_id is not None:
        where.append(SequenceGap.campus_id == campus_id)
    if since is not None:
        where.append(col(SequenceGap.detected_at) >= since)
    size = SequenceGap.last_seq - SequenceGap.first_seq + 1
    missing = session.exec(
        select(func.coalesce(func.sum(size), 0)).where(SequenceGap.kind == GAP, *where)
    ).one()
    regressions = session.exec(
        select(func.count()).select_from(SequenceGap).where(SequenceGap.kind == REGRESSION, *where)
    ).one()
    return {"missing": int(missing or 0), "regressions": int(regressions or 0)}
