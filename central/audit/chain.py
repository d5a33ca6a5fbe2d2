"""The entry log's hash chain: append a batch under one lock, verify from the first row.

``row_hash = sha256(prev_hash + canonical JSON of the row's content fields)``. The content
excludes ``seq`` (the database assigns it; sequences may skip numbers after a rollback) but the
chain still fixes the order: moving, editing or deleting a row breaks the link of the row after
it, and the chain head (one row, updated with every append) catches a deleted tail.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from central.audit import segments, writes
from central.audit.canonical import hashed_rows, link, row_hash, walk
from central.models.journal import GENESIS, ChainHead, EntryEvent, ensure_head

logger = logging.getLogger(__name__)

EDITED, DELETED, INSERTED, REORDERED, REWRITTEN = "edited", "deleted", "inserted", "reordered", "rewritten"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What verification found: ``ok``, else the first bad ``seq`` and the ``kind`` of damage."""

    ok: bool
    seq: int | None = None
    kind: str | None = None  # edited | deleted | inserted | reordered | rewritten
    detail: str = ""
    rows: int = 0
    since_seq: int | None = None  # rewritten: the last checkpoint that still matched


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain head at one moment (seq, head hash, time), kept outside the database."""

    seq: int
    head_hash: str
    at: datetime
    # the signed reports the line names (central.audit.signed): None on a line of an earlier release
    reports: tuple[dict[str, Any], ...] | None = field(default=None, hash=False)


_HEAD = ChainHead.__table__  # type: ignore[attr-defined]
_LOG = EntryEvent.__table__  # type: ignore[attr-defined]
# built once: a statement built per batch costs more in SQLAlchemy than the database's work on it
# the head, locked, with the highest row number: numbers follow both (a row never reuses the number
# of a row deleted from the end, nor collides with rows appended behind the head's back). PostgreSQL
# blocks on the head's row lock while another worker appends, then reads the head it committed (the
# max is of the statement's older snapshot, and never above that head): one round trip per batch
_READ_HEAD = (
    select(_HEAD.c.last_seq, _HEAD.c.last_hash, select(func.max(_LOG.c.seq)).scalar_subquery())
    .where(_HEAD.c.id == 1)
    .with_for_update(of=_HEAD)
)


def lock_head(session: Session) -> tuple[int, str, int]:
    """The head's (last_seq, last_hash) locked, and the highest row number. FOR UPDATE on PostgreSQL:
    a second worker waits here until the first commits, then reads the new head. SQLite ignores it;
    there the transaction began IMMEDIATE and already holds the database's single write lock. Plain
    statements, not ORM ones: this runs once per batch of decisions (a batch that takes other locks
    before its log rows takes this one first: see central.decisions.ledger)."""
    head = session.execute(_READ_HEAD).first()
    if head is None:
        ensure_head(session)
        head = session.execute(_READ_HEAD).one()
    return int(head[0]), str(head[1]), int(head[2] or 0)


def append_entries(
    session: Session, entries: Sequence[Any], *, commit: bool = False, with_rows: Sequence[writes.Other] = ()
) -> None:
    """Link a batch of rows to the chain in order, under ONE lock of the head, and insert them together.

    ``entries`` carry the content fields as attributes (EntryEvent, or the decision path's plain rows);
    each gets its ``seq``, ``prev_hash`` and ``row_hash`` set, numbered in list order after the head,
    and they are inserted together, not as ORM objects. The head is locked last in the caller's
    transaction and held only until it commits, so a batch of decisions costs one lock and one head
    update, not one per scan; the numbers are taken under that lock, not from a database sequence (a
    round trip per batch on PostgreSQL). ``commit``: the transaction ends here, and on PostgreSQL its
    COMMIT goes in the same round trip as the insert (nothing is added after the rows). ``with_rows``:
    rows of other tables decided with these (household-day claims, fever alerts, incidents; see
    :func:`writes.other`), inserted first, under the head's lock, in the same transaction and,
    committing on PostgreSQL, the same query: one that fails a unique key fails the whole query.
    """
    if not entries:
        writes.write(session, [], "", commit=commit, with_rows=with_rows)
        return
    head_seq, prev, last_row = lock_head(session)
    rows = []
    for entry in entries:
        entry.prev_hash = prev
        entry.row_hash = prev = row_hash(prev, entry)
        rows.append({name: getattr(entry, name) for name in writes.INSERTED})
    first = max(head_seq, last_row) + 1
    seqs = list(range(first, first + len(rows)))
    for entry, seq in zip(entries, seqs, strict=True):
        entry.seq = seq
    numbered = [{**row, "seq": seq} for row, seq in zip(rows, seqs, strict=True)]
    writes.write(session, numbered, prev, commit=commit, with_rows=with_rows)


def verify_chain(session: Session) -> int | None:
    """The seq of the first row that breaks the chain, or None when the log is intact (see :func:`verify`)."""
    return verify(session).seq


def verify(session: Session, checkpoints: Sequence[Checkpoint] = (), *, jobs: int | None = 1) -> VerifyResult:
    """Walk the chain from the first row; name the first damaged row and the kind of damage.

    A deleted tail is reported as the chain head's ``last_seq`` (the row that should be there);
    rows appended behind the head's back, as the first of them. ``checkpoints`` (kept outside the
    database) catch a chain rewritten and re-hashed from some row on. With ``jobs`` > 1 (None: one per
    core on a long log) the rows up to the chain head are first checked in ranges by that many
    processes (:mod:`central.audit.segments`); the walk here goes on from where they stopped linking.
    """
    head = read_head(session)  # on SQLite the first read: the rest of this transaction sees the log as of now
    prev, prev_seq, count = GENESIS, 0, 0
    processes = segments.jobs_for(head[0], jobs) if head is not None else 1
    if head is not None and processes > 1:
        prev, prev_seq, count = segments.verified_prefix(session.get_bind(), head[0], processes)
        head = read_head(session)  # PostgreSQL reads each statement afresh: the head of the rows walked below
    head_seq = head[0] if head is not None else 0
    # from the first row whatever its number unless the ranges vouched for the rows up to prev_seq
    w = walk(hashed_rows(session, prev_seq if count else None), prev, prev_seq)
    if w.bad is not None and head is not None and head == (w.prev_seq, w.prev):
        # the chain is whole up to its head: a row after it was never vouched for, whatever its hashes
        logger.warning("entry log has rows after its head's seq %s", head_seq)
        first = _first_after(session, head_seq)
        return VerifyResult(False, first, INSERTED, "rows appended without moving the chain head")
    if w.bad is not None:
        result = _classify(session, w.bad, w.prev, w.prev_seq, w.following, checkpoints)
        logger.warning("entry log chain broken at seq %s: %s", result.seq, result.kind)
        return result
    count += w.count
    if head is None and count:
        return _headless(w.prev_seq)
    if head is not None and head != (w.prev_seq, w.prev):
        logger.warning("entry log ends at seq %s but its head points at seq %s", w.prev_seq, head_seq)
        if w.prev_seq > head_seq:
            return VerifyResult(
                False,
                _first_after(session, head_seq),
                INSERTED,
                "rows appended without moving the chain head",
            )
        if w.prev_seq == head_seq:  # the last row is the head's: its hash was changed in the head
            return VerifyResult(False, head_seq, EDITED, f"the chain head's hash is not row {head_seq}'s")
        return VerifyResult(
            False, head_seq, DELETED, f"the chain head names seq {head_seq}; the log ends at {w.prev_seq}"
        )
    bad = check_checkpoints(checkpoints, _hashes_at(session, {c.seq for c in checkpoints}))
    if bad is not None:
        logger.warning("entry log disagrees with the kept checkpoint at seq %s", bad.seq)
        return bad
    detail = f"{count} rows, {len(checkpoints)} checkpoints{_rebuilt(session)}"
    return VerifyResult(True, None, None, detail, count)


def verify_since(session: Session, checkpoint: Checkpoint) -> VerifyResult:
    """Walk only the rows after a kept checkpoint: they must link to its hash, one to the next, up to
    the chain head. Damage before the checkpoint is the full :func:`verify`'s to find."""
    at = session.exec(select(EntryEvent.row_hash).where(EntryEvent.seq == checkpoint.seq)).first()
    moved = check_checkpoints([checkpoint], {} if at is None else {checkpoint.seq: at})
    if moved is not None:
        return moved
    w = walk(hashed_rows(session, checkpoint.seq), checkpoint.head_hash, checkpoint.seq)
    if w.bad is not None:
        return _classify(session, w.bad, w.prev, w.prev_seq, w.following, [checkpoint])
    head = read_head(session)
    if head is None and w.prev_seq > 0:
        return _headless(w.prev_seq)
    if head is not None and head != (w.prev_seq, w.prev):
        if head[0] == w.prev_seq:
            return VerifyResult(False, head[0], EDITED, f"the chain head's hash is not row {head[0]}'s")
        if head[0] < w.prev_seq:
            return VerifyResult(False, head[0] + 1, INSERTED, "rows appended without moving the chain head")
        return VerifyResult(False, head[0], DELETED, "the chain head does not match the last row")
    detail = f"{w.count} rows since seq {checkpoint.seq}{_rebuilt(session)}"
    return VerifyResult(True, None, None, detail, w.count)


def check_checkpoints(checkpoints: Sequence[Checkpoint], hashes_at: dict[int, str]) -> VerifyResult | None:
    """The first kept checkpoint the log no longer matches (the chain was rewritten), or None."""
    good = 0
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.seq == 0:
            continue
        actual = hashes_at.get(cp.seq)
        if actual != cp.head_hash:
            what = "is missing, which" if actual is None else "has another hash than"
            detail = (
                f"row {cp.seq} {what} the checkpoint of {cp.at.isoformat()} holds; rewritten after seq {good}"
            )
            return VerifyResult(False, cp.seq, REWRITTEN, detail, since_seq=good)
        good = cp.seq
    return None


def _classify(
    session: Session, row: Any, prev: str, prev_seq: int, following: Any, kept: Sequence[Checkpoint] = ()
) -> VerifyResult:
    # row, following: (seq, prev_hash, row_hash, *content) from canonical.hashed_rows
    seq, row_prev, digest = row[0], row[1], row[2]
    self_ok = isinstance(row_prev, str) and link(row_prev, row[3:]) == digest  # SQLite: any value
    skips_me = following is not None and following[1] == prev
    if row_prev == prev:
        if skips_me:
            return VerifyResult(False, seq, INSERTED, "the next row links past this one")
        return VerifyResult(False, seq, EDITED, "the row's content no longer matches its hash")
    if self_ok and row_prev == GENESIS:  # the log's true first row: whatever came before was put in front
        return VerifyResult(False, _first_row(session), INSERTED, f"rows before seq {seq}, the chain's first")
    if self_ok:
        linked = _seq_of_hash(session, row_prev)
        if linked is not None and linked > seq:
            return VerifyResult(False, seq, REORDERED, f"the row links to seq {linked}, which comes after it")
        if linked is not None and linked < prev_seq:
            first = _first_after(session, linked)
            return VerifyResult(
                False, first, INSERTED, f"rows between seq {linked} and {seq} are not in the chain"
            )
    if skips_me:
        return VerifyResult(False, seq, INSERTED, "the next row links past this one")
    if not self_ok:
        return VerifyResult(False, seq, EDITED, "the row's link and hash were edited")
    if seq == prev_seq + 1 and prev_seq > 0:
        # numbers are taken in order under the head's lock: with none missing nothing was removed
        # between them; the row before was changed and its hash recomputed (or, when a kept checkpoint
        # still vouches for that row, this row's link was)
        if any(c.seq == prev_seq and c.head_hash == prev for c in kept):
            return VerifyResult(False, seq, EDITED, f"the row's link to seq {prev_seq} was changed")
        return VerifyResult(
            False, prev_seq, EDITED, f"the row was changed and re-hashed: seq {seq} links to its old hash"
        )
    return VerifyResult(False, seq, DELETED, f"the row before it (after seq {prev_seq}) is gone")


def _headless(last_seq: int) -> VerifyResult:
    logger.warning("entry log has rows up to seq %s but no chain head", last_seq)
    detail = f"the chain head is gone: the log ends at seq {last_seq}, rows after it may have been removed"
    return VerifyResult(False, last_seq, DELETED, detail)


def _rebuilt(session: Session) -> str:
    """What an intact chain's verdict adds when its head was once rebuilt (``journal.ensure_head``)."""
    stmt = select(ChainHead.rebuilt_seq, ChainHead.rebuilt_at).where(ChainHead.id == 1)
    found = session.exec(stmt).first()
    if found is None or found[0] is None or found[1] is None:
        return ""
    seq, at = found
    return (
        f"; the chain head was rebuilt from seq {seq} on {at.isoformat()}, found missing: rows removed"
        " from the end with it show only against a kept checkpoint"
    )


def read_head(session: Session) -> tuple[int, str] | None:
    """(last_seq, last_hash) of the chain head, None when there is none: a fresh read every time (never
    the session's cached object), its two columns alone (a backup reads an older release's schema)."""
    found = session.exec(select(ChainHead.last_seq, ChainHead.last_hash).where(ChainHead.id == 1)).first()
    return None if found is None else (found[0], found[1])


def _hashes_at(session: Session, seqs: set[int]) -> dict[int, str]:
    wanted, out = sorted(seqs), {}
    for first in range(0, len(wanted), 500):
        stmt = select(EntryEvent.seq, EntryEvent.row_hash).where(
            col(EntryEvent.seq).in_(wanted[first : first + 500])
        )
        out.update({seq: digest for seq, digest in session.exec(stmt) if seq is not None})
    return out


def _seq_of_hash(session: Session, digest: str) -> int | None:
    # only after a break, so an unindexed scan once is fine
    return session.exec(select(EntryEvent.seq).where(EntryEvent.row_hash == digest)).first()


def _first_row(session: Session) -> int:
    return int(session.exec(select(func.min(EntryEvent.seq))).one() or 0)


def _first_after(session: Session, seq: int) -> int:
    found = session.exec(select(func.min(EntryEvent.seq)).where(col(EntryEvent.seq) > seq)).one()
    return int(found or seq)
