"""Per-gate event numbers: what never arrived (gaps) and a gate numbering backwards (regressions).

Every gate numbers its events 1, 2, 3 … in a counter it keeps on its own storage. Central keeps the
highest number seen per gate; a jump past it opens a gap, a late copy inside a gap narrows it, and
a number at or below the high mark that fills no gap is a regression: the gate's outbox was lost,
its SD card replaced or its data restored from an old backup. A regression starts a new run of
numbers, so the gate's next events are not flagged again; the old run's gaps stay to be explained.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session, col, func, select

from central.audit.gaps import GAP, REGRESSION
from central.models.base import dialect_insert
from central.models.journal import EntryEvent, GateSequence, SequenceGap

logger = logging.getLogger(__name__)


def track(
    session: Session, gate_id: str, seq: int, event_id: str, campus_id: int | None, at: datetime
) -> None:
    """Check a new event's number against the gate's high mark, inside the decision's transaction."""
    mark = _lock_mark(session, gate_id, at)
    if seq > mark.high_seq:
        if seq > mark.high_seq + 1:
            _add(session, mark, GAP, mark.high_seq + 1, seq - 1, event_id, campus_id, at)
            logger.warning("gate %s: seqs %d..%d never arrived", gate_id, mark.high_seq + 1, seq - 1)
        mark.high_seq = seq
    elif not _fill(session, mark, seq):
        _add(session, mark, REGRESSION, seq, mark.high_seq, event_id, campus_id, at)
        logger.warning(
            "gate %s numbered seq %d again after reaching %d: outbox lost, storage replaced or restored?",
            gate_id,
            seq,
            mark.high_seq,
        )
        mark.run, mark.high_seq = mark.run + 1, seq
    mark.updated_at = at
    session.add(mark)


def _lock_mark(session: Session, gate_id: str, at: datetime) -> GateSequence:
    # the first event of a gate already in the log (central upgraded under it) starts from its log
    logged = (
        select(func.coalesce(func.max(EntryEvent.gate_seq), 0))
        .where(EntryEvent.gate_id == gate_id, EntryEvent.kind == "decision")
        .scalar_subquery()
    )
    stmt = dialect_insert(session, GateSequence).values(
        gate_id=gate_id, high_seq=logged, run=1, updated_at=at
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["gate_id"]))
    lock = (
        select(GateSequence)
        .where(GateSequence.gate_id == gate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(lock).one()


def _fill(session: Session, mark: GateSequence, seq: int) -> bool:
    """A late event inside an open gap of the current run: narrow or split the gap; False if none."""
    gap = session.exec(
        select(SequenceGap).where(
            SequenceGap.gate_id == mark.gate_id,
            SequenceGap.kind == GAP,
            SequenceGap.run == mark.run,
            col(SequenceGap.first_seq) <= seq,
            col(SequenceGap.last_seq) >= seq,
        )
    ).first()
    if gap is None:
        return False
    if gap.first_seq == gap.last_seq:
        session.delete(gap)
        return True
    if seq == gap.first_seq:
        gap.first_seq += 1
    elif seq == gap.last_seq:
        gap.last_seq -= 1
    else:  # split: the part after seq is a gap of its own
        after = SequenceGap.model_validate(gap.model_dump(exclude={"id"}))
        after.first_seq, gap.last_seq = seq + 1, seq - 1
        session.add(after)
    session.add(gap)
    return True


def _add(
    session: Session,
    mark: GateSequence,
    kind: str,
    first: int,
    last: int,
    event_id: str,
    campus_id: int | None,
    at: datetime,
) -> None:
    row = SequenceGap(
        gate_id=mark.gate_id,
        campus_id=campus_id,
        kind=kind,
        run=mark.run,
        first_seq=first,
        last_seq=last,
        event_id=event_id,
        detected_at=at,
    )
    session.add(row)
