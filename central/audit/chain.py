"""The entry log's hash chain: append a batch under one lock, verify from the first row.

``row_hash = sha256(prev_hash + canonical JSON of the row's content fields)``. The content
excludes ``seq`` (the database assigns it; sequences may skip numbers after a rollback) but the
chain still fixes the order: moving, editing or deleting a row breaks the link of the row after
it, and the chain head (one row, updated with every append) catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, text, update
from sqlmodel import Session, col, func, select

from central.models.base import utc
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


_NOT_CONTENT = frozenset({"seq", "prev_hash", "row_hash"})
CONTENT_FIELDS = tuple(name for name in EntryEvent.model_fields if name not in _NOT_CONTENT)
_INSERTED = (*CONTENT_FIELDS, "prev_hash", "row_hash")


def _canon(value: Any) -> Any:
    if isinstance(value, datetime):
        # the database hands back UTC; hash the same form whatever offset the row was built with
        return utc(value).isoformat()
    return value


def content(entry: EntryEvent) -> dict[str, Any]:
    """The hashed fields of a row, in a form that survives a round trip through the database."""
    return {name: _canon(getattr(entry, name)) for name in CONTENT_FIELDS}


def row_hash(prev_hash: str, entry: EntryEvent) -> str:
    """The hash that links ``entry`` to the row before it."""
    canonical = json.dumps(content(entry), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


_HEAD = ChainHead.__table__  # type: ignore[attr-defined]


def _lock_head(session: Session) -> tuple[int, str]:
    """The head's (last_seq, last_hash), locked. FOR UPDATE on PostgreSQL: a second worker waits here
    until the first commits, then reads the new head. SQLite ignores it; there the transaction began
    IMMEDIATE and already holds the database's single write lock. Plain statements, not ORM ones:
    this runs once per batch of decisions."""
    stmt = select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
    head = session.execute(stmt).first()
    if head is None:
        ensure_head(session)
        head = session.execute(stmt).one()
    return int(head[0]), str(head[1])


class ChainOrderError(RuntimeError):
    """The database numbered a batch's rows out of their chain order (the batch is rolled back)."""


def append_entry(session: Session, entry: EntryEvent) -> EntryEvent:
    """Link ``entry`` to the chain and insert it, inside the caller's transaction.

    Raises ``sqlalchemy.exc.IntegrityError`` when the event id is already logged; the caller rolls back.
    """
    append_entries(session, [entry])
    return entry


def append_entries(session: Session, entries: Sequence[Any]) -> None:
    """Link a batch of rows to the chain in order, under ONE lock of the head, and insert them together.

    ``entries`` carry the content fields as attributes (EntryEvent, or the decision path's plain rows);
    they are inserted with one multi-row INSERT … RETURNING seq, not as ORM objects, and each gets its
    ``seq``, ``prev_hash`` and ``row_hash`` set. The head is locked last in the caller's transaction and
    held only until it commits, so a batch of decisions costs one lock and one head update, not one per
    scan. The rows must get ascending ``seq`` in list order; anything else raises ChainOrderError.
    """
    if not entries:
        return
    head_seq, prev = _lock_head(session)
    rows = []
    for entry in entries:
        entry.prev_hash = prev
        entry.row_hash = prev = row_hash(prev, entry)
        rows.append({name: getattr(entry, name) for name in _INSERTED})
    seqs = _insert(session, rows)
    for entry, seq in zip(entries, seqs, strict=True):
        entry.seq = seq
    if seqs[0] <= head_seq or any(b <= a for a, b in zip(seqs, seqs[1:], strict=False)):
        raise ChainOrderError(f"rows numbered {seqs[:5]}… after head seq {head_seq}")
    session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=seqs[-1], last_hash=prev))


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    table = EntryEvent.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != "postgresql":
        stmt = insert(table).returning(table.c.seq, sort_by_parameter_order=True)
        return list(session.execute(stmt, rows).scalars())
    # PostgreSQL: the numbers first (the head is locked, so no other batch takes numbers between
    # ours), then one short statement sent for every row in a pipeline; a 64-row INSERT … VALUES
    # with RETURNING costs more to build and parse than to run
    numbers = text("SELECT nextval(pg_get_serial_sequence('entry_event', 'seq')) FROM generate_series(1, :n)")
    seqs = sorted(session.execute(numbers, {"n": len(rows)}).scalars())
    session.execute(insert(table), [{**row, "seq": seq} for row, seq in zip(rows, seqs, strict=True)])
    return seqs


def verify_chain(session: Session) -> int | None:
    """The seq of the first row that breaks the chain, or None when the log is intact (see :func:`verify`)."""
    return verify(session).seq


def verify(session: Session, checkpoints: Sequence[Checkpoint] = ()) -> VerifyResult:
    """Walk the chain from the first row; name the first damaged row and the kind of damage.

    A deleted tail is reported as the chain head's ``last_seq`` (the row that should be there);
    rows appended behind the head's back, as the first of them. ``checkpoints`` (kept outside the
    database) catch a chain rewritten and re-hashed from some row on.
    """
    head = session.get(ChainHead, 1)
    head_seq = head.last_seq if head is not None else 0
    prev, prev_seq, last_seq, count = GENESIS, 0, 0, 0
    first_unheaded: int | None = None
    hashes_at: dict[int, str] = {}
    wanted = {c.seq for c in checkpoints}
    rows = iter(_rows(session, 0))
    entry = next(rows, None)
    while entry is not None:
        following = next(rows, None)
        seq = entry.seq or 0
        if entry.prev_hash != prev or row_hash(prev, entry) != entry.row_hash:
            result = _classify(session, entry, prev, prev_seq, following)
            logger.warning("entry log chain broken at seq %s: %s", result.seq, result.kind)
            return result
        if first_unheaded is None and seq > head_seq:
            first_unheaded = seq
        if seq in wanted:
            hashes_at[seq] = entry.row_hash
        prev, prev_seq, last_seq, count = entry.row_hash, seq, seq, count + 1
        entry = following
    if head is not None and (head.last_hash != prev or head_seq != last_seq):
        logger.warning("entry log ends at seq %s but its head points at seq %s", last_seq, head_seq)
        if first_unheaded is not None:
            return VerifyResult(
                False, first_unheaded, INSERTED, "rows appended without moving the chain head"
            )
        return VerifyResult(
            False, head_seq, DELETED, f"the chain head names seq {head_seq}; the log ends at {last_seq}"
        )
    bad = check_checkpoints(checkpoints, hashes_at)
    if bad is not None:
        logger.warning("entry log disagrees with the kept checkpoint at seq %s", bad.seq)
        return bad
    return VerifyResult(True, None, None, f"{count} rows, {len(checkpoints)} checkpoints", count)


def verify_since(session: Session, checkpoint: Checkpoint) -> VerifyResult:
    """Walk only the rows after a kept checkpoint: they must link to its hash, one to the next, up to
    the chain head. Damage before the checkpoint is the full :func:`verify`'s to find."""
    at = session.exec(select(EntryEvent.row_hash).where(EntryEvent.seq == checkpoint.seq)).first()
    if checkpoint.seq and at != checkpoint.head_hash:
        return VerifyResult(False, checkpoint.seq, REWRITTEN, "the checkpoint's row no longer matches")
    prev, last, count = checkpoint.head_hash, checkpoint.seq, 0
    for entry in _rows(session, checkpoint.seq):
        if entry.prev_hash != prev or row_hash(prev, entry) != entry.row_hash:
            return VerifyResult(False, entry.seq, EDITED, "a row after the checkpoint breaks the chain")
        prev, last, count = entry.row_hash, entry.seq or 0, count + 1
    head = session.get(ChainHead, 1)
    if head is not None and (head.last_hash != prev or head.last_seq != last):
        return VerifyResult(False, head.last_seq, DELETED, "the chain head does not match the last row")
    return VerifyResult(True, None, None, f"{count} rows since seq {checkpoint.seq}", count)


def check_checkpoints(checkpoints: Sequence[Checkpoint], hashes_at: dict[int, str]) -> VerifyResult | None:
    """The first kept checkpoint the log no longer matches (the chain was rewritten), or None."""
    good = 0
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.seq == 0:
            continue
        actual = hashes_at.get(cp.seq)
        if actual != cp.head_hash:
            what = "is missing" if actual is None else "has another hash"
            detail = (
                f"row {cp.seq} {what} than the checkpoint of {cp.at.isoformat()}; rewritten after seq {good}"
            )
            return VerifyResult(False, cp.seq, REWRITTEN, detail, since_seq=good)
        good = cp.seq
    return None


def _classify(
    session: Session, entry: EntryEvent, prev: str, prev_seq: int, following: EntryEvent | None
) -> VerifyResult:
    seq = entry.seq or 0
    self_ok = row_hash(entry.prev_hash, entry) == entry.row_hash
    skips_me = following is not None and following.prev_hash == prev
    if entry.prev_hash == prev:
        if skips_me:
            return VerifyResult(False, seq, INSERTED, "the next row links past this one")
        return VerifyResult(False, seq, EDITED, "the row's content no longer matches its hash")
    if self_ok:
        linked = _seq_of_hash(session, entry.prev_hash)
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
    return VerifyResult(False, seq, DELETED, f"the row before it (after seq {prev_seq}) is gone")


def _rows(session: Session, after: int) -> Iterator[Any]:
    # plain rows, not ORM objects: a semester of log (10^6 rows) is walked several times faster;
    # a row answers getattr for every column, which is all the hash needs
    table = EntryEvent.__table__  # type: ignore[attr-defined]
    stmt = select(table).where(table.c.seq > after).order_by(table.c.seq).execution_options(yield_per=2000)
    return iter(session.execute(stmt))


def _seq_of_hash(session: Session, digest: str) -> int | None:
    # only after a break, so an unindexed scan once is fine
    return session.exec(select(EntryEvent.seq).where(EntryEvent.row_hash == digest)).first()


def _first_after(session: Session, seq: int) -> int:
    found = session.exec(select(func.min(EntryEvent.seq)).where(col(EntryEvent.seq) > seq)).one()
    return int(found or seq)
