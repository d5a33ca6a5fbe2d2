"""Per-gate event numbers: what never arrived (gaps) and a gate numbering backwards (regressions).

Read from the committed entry log, in log order, by :func:`catch_up` (each worker runs it every
second; a cursor row locked for the pass keeps two workers from reading the same rows). So the
decision path takes no per-gate lock for it, and a gap is judged in the order events were logged.

Every gate numbers its events 1, 2, 3 … in a counter it keeps on its own storage. Central keeps the
highest number seen per gate; a jump past it opens a gap, a late copy inside a gap narrows it, and
a number at or below the high mark that fills no gap is a regression: the gate's outbox was lost,
its SD card replaced or its data restored from an old backup. A regression starts a new run of
numbers, so the gate's next events are not flagged again; the old run's gaps stay to be explained.

A number whose event central received and refused (a dead letter: damaged, or failing the schema)
arrived: it is no gap. The dead letter says why it was refused, and the gate was answered ``refer``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from central.audit.gaps import GAP, REGRESSION
from central.models.base import dialect_insert, one_of, utc
from central.models.journal import EntryEvent, GateSequence, RejectedMessage, SequenceGap
from gatecore import topics

logger = logging.getLogger(__name__)
REFUSED_WITHIN = timedelta(days=1)  # how far back a refused neighbour of a gap is looked for

CURSOR = ""  # the gate_sequence row whose high_seq is the last entry-log seq read (no gate has this id)
REFUSED_CURSOR = " refused"  # and the one whose high_seq is the last dead letter's id read


def catch_up(session: Session, *, limit: int = 5000, settle_s: float = 0.0) -> int:
    """Read decision rows logged since the last pass and update the gates' marks; how many were read.

    Several workers log one gate's events in the order their batches commit, which is not always the
    gate's: its seq 6 may be logged just before its seq 5. Rows received less than ``settle_s`` ago
    wait for the next pass, so such neighbours are read together, and a gate's rows ahead of its high
    mark are taken in the gate's own order: no gap is opened for a moment. From a gate's first row at
    or below its mark (a late copy, a gate numbering again) on, its rows are taken in log order.
    """
    now = datetime.now(UTC)
    cursor = _lock_marks(session, [CURSOR], now)[CURSOR]
    log = EntryEvent.__table__.c  # type: ignore[attr-defined]
    rows: Sequence[Any] = session.execute(
        sa_select(log.seq, log.gate_id, log.gate_seq, log.event_id, log.campus_id, log.received_at)
        .where(log.seq > cursor.high_seq, log.kind == "decision")
        .order_by(log.seq)
        .limit(limit)
    ).all()
    rows = _settled(rows, 5, now, settle_s)
    # every gate of the pass locked in at most three statements and written back in one: on SQLite
    # this pass holds the one write lock the decisions wait for, so it must be short
    marks = _lock_marks(session, sorted({row[1] for row in rows if row[2] is not None}), now)
    for _seq, gate_id, gate_seq, event_id, campus_id, received_at in _in_gate_order(rows, marks):
        track(session, marks[gate_id], gate_seq, event_id, campus_id, received_at)  # found when it arrived
    if rows:
        cursor.high_seq = max(cursor.high_seq, rows[-1][0])
        cursor.updated_at, cursor.moved = now, True
    moved = [m for m in (*marks.values(), cursor) if m.moved]
    _write_back(session, moved)  # the marks and the cursor in one statement
    _refused_since(session, now, settle_s, limit)
    return len(rows)


@dataclass(slots=True)
class Mark:
    """A gate's high mark as read under its row lock; ``moved`` once it must be written back."""

    gate_id: str
    high_seq: int
    run: int
    updated_at: datetime
    moved: bool = False


_TABLE = GateSequence.__table__  # type: ignore[attr-defined]
_WRITE_BACK = (
    update(_TABLE)
    .where(_TABLE.c.gate_id == bindparam("g"))
    .values(high_seq=bindparam("h"), run=bindparam("r"), updated_at=bindparam("u"))
)


def _in_gate_order(rows: Sequence[Any], marks: dict[str, Mark]) -> list[Any]:
    by_gate: dict[str, list[Any]] = {}
    for row in rows:
        if row[2] is not None:
            by_gate.setdefault(row[1], []).append(row)
    ordered: list[Any] = []
    for gate_id, gate_rows in by_gate.items():
        # the rows ahead of the mark up to the first that is not, or that repeats a number of the run
        # (a late copy, or a gate numbering again: from there on the log's order tells what happened)
        high, ahead, seen = marks[gate_id].high_seq, 0, set()
        while ahead < len(gate_rows) and gate_rows[ahead][2] > high and gate_rows[ahead][2] not in seen:
            seen.add(gate_rows[ahead][2])
            ahead += 1
        ordered += sorted(gate_rows[:ahead], key=lambda r: r[2]) + gate_rows[ahead:]
    return ordered


def track(session: Session, mark: Mark, seq: int, event_id: str, campus_id: int | None, at: datetime) -> None:
    """Check one logged event's number against its gate's high mark."""
    gate_id = mark.gate_id
    if seq > mark.high_seq:
        if seq > mark.high_seq + 1:
            for first, last in _never_arrived(session, gate_id, mark.high_seq + 1, seq - 1, at):
                _add(session, mark, GAP, first, last, event_id, campus_id, at)
                logger.warning("gate %s: seqs %d..%d never arrived", gate_id, first, last)
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
    mark.updated_at, mark.moved = at, True


def _never_arrived(
    session: Session, gate_id: str, first: int, last: int, at: datetime
) -> list[tuple[int, int]]:
    """The runs of ``first..last`` that did not arrive: the numbers of events refused as dead letters
    (received within a day before ``at``) are taken out, found by their index, not their payloads."""
    dead = RejectedMessage.__table__.c  # type: ignore[attr-defined]
    refused = session.execute(
        sa_select(dead.gate_seq)
        .where(
            dead.topic == topics.gate_events(gate_id),
            dead.gate_seq.between(first, last),
            dead.received_at >= at - REFUSED_WITHIN,
        )
        .distinct()
        .order_by(dead.gate_seq)
    ).scalars()
    runs, start = [], first
    for n in refused:
        if n > start:
            runs.append((start, n - 1))
        start = n + 1
        logger.info("gate %s: seq %d arrived and was refused (a dead letter), not missing", gate_id, n)
    if start <= last:
        runs.append((start, last))
    return runs


def _refused_since(session: Session, now: datetime, settle_s: float, limit: int) -> None:
    """Dead letters stored since the last pass whose number lies in an open gap: that number arrived
    (refused, the gate answered ``refer``), so the gap narrows as for a late copy. A refused number
    ahead of its gate's mark is taken out when the gap opens (:func:`_never_arrived`)."""
    cursor = _lock_marks(session, [REFUSED_CURSOR], now)[REFUSED_CURSOR]
    dead = RejectedMessage.__table__.c  # type: ignore[attr-defined]
    rows: Sequence[Any] = session.execute(
        sa_select(dead.id, dead.topic, dead.gate_seq, dead.received_at)
        .where(dead.id > cursor.high_seq)
        .order_by(dead.id)
        .limit(limit)
    ).all()
    rows = _settled(rows, 3, now, settle_s)  # a lower id may still commit after one stored just now
    if not rows:
        return
    numbered = [
        (gate_id, row[2]) for row in rows if row[2] is not None and (gate_id := topics.events_of(row[1]))
    ]
    marks = _read_marks(session, sorted({gate_id for gate_id, _ in numbered}))  # no mark is made for them
    for gate_id, seq in numbered:
        mark = marks.get(gate_id)
        if mark is not None and seq <= mark.high_seq and _fill(session, mark, seq):
            logger.info(
                "gate %s: seq %d arrived late and was refused (a dead letter), not missing", gate_id, seq
            )
    cursor.high_seq, cursor.updated_at = rows[-1][0], now
    _write_back(session, [cursor])


def _settled(rows: Sequence[Any], received: int, now: datetime, settle_s: float) -> Sequence[Any]:
    """The rows up to the first received (at index ``received``) less than ``settle_s`` ago: the
    others wait for the next pass."""
    if not settle_s:
        return rows
    horizon = now - timedelta(seconds=settle_s)
    return list(takewhile(lambda row: utc(row[received]) <= horizon, rows))


def _write_back(session: Session, marks: Sequence[Mark]) -> None:
    # marks (and cursors) in one statement
    if marks:
        session.execute(
            _WRITE_BACK, [{"g": m.gate_id, "h": m.high_seq, "r": m.run, "u": m.updated_at} for m in marks]
        )


def _lock_marks(session: Session, gate_ids: list[str], at: datetime) -> dict[str, Mark]:
    """The gates' marks, made where missing, locked in gate order (two workers never cross locks)."""
    if not gate_ids:
        return {}
    found = _read_marks(session, gate_ids)
    missing = [g for g in gate_ids if g not in found]
    if missing:  # a gate's first events: its mark is made (another worker may make it at once)
        stmt = dialect_insert(session, GateSequence).on_conflict_do_nothing(index_elements=["gate_id"])
        session.execute(stmt, [{"gate_id": g, "high_seq": 0, "run": 1, "updated_at": at} for g in missing])
        found |= _read_marks(session, missing)
    return found


def _read_marks(session: Session, gate_ids: list[str]) -> dict[str, Mark]:
    c = _TABLE.c
    lock = (
        select(c.gate_id, c.high_seq, c.run, c.updated_at)
        .where(one_of(session, c.gate_id, gate_ids))
        .order_by(c.gate_id)
        .with_for_update()
    )
    return {g: Mark(g, high, run, utc(updated)) for g, high, run, updated in session.execute(lock)}


def _fill(session: Session, mark: Mark, seq: int) -> bool:
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
    mark: Mark,
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
