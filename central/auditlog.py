"""The entry log's hash chain: append under one lock, verify from the first row.

``row_hash = sha256(prev_hash + canonical JSON of the row's content fields)``. The content
excludes ``seq`` (the database assigns it; sequences may skip numbers after a rollback) but the
chain still fixes the order: moving, editing or deleting a row breaks the link of the row after
it, and the chain head (one row, updated with every append) catches a deleted tail.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from central.db import dialect_insert, utc
from central.models_log import ChainHead, EntryEvent

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
_NOT_CONTENT = frozenset({"seq", "prev_hash", "row_hash"})
CONTENT_FIELDS = tuple(name for name in EntryEvent.model_fields if name not in _NOT_CONTENT)


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


def ensure_head(session: Session) -> None:
    """Create the chain head row if it is missing (safe to run from several workers at once)."""
    stmt = dialect_insert(session, ChainHead).values(id=1, last_seq=0, last_hash=GENESIS)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))


def _lock_head(session: Session) -> ChainHead:
    # FOR UPDATE on PostgreSQL: a second worker waits here until the first commits, then reads
    # the new head. SQLite ignores it; there the transaction began IMMEDIATE and already holds
    # the database's single write lock.
    stmt = (
        select(ChainHead).where(ChainHead.id == 1).with_for_update().execution_options(populate_existing=True)
    )
    head = session.exec(stmt).first()
    if head is None:
        ensure_head(session)
        head = session.exec(stmt).one()
    return head


def append_entry(session: Session, entry: EntryEvent) -> EntryEvent:
    """Link ``entry`` to the chain and insert it, inside the caller's transaction.

    Raises ``sqlalchemy.exc.IntegrityError`` when the event id is already logged; the caller rolls back.
    """
    head = _lock_head(session)
    entry.prev_hash = head.last_hash
    entry.row_hash = row_hash(head.last_hash, entry)
    session.add(entry)
    session.flush()
    head.last_seq = entry.seq or 0
    head.last_hash = entry.row_hash
    session.add(head)
    session.flush()
    return entry


def verify_chain(session: Session) -> int | None:
    """The seq of the first row that breaks the chain, or None when the log is intact.

    A deleted tail is reported as the chain head's ``last_seq`` (the row that should be there);
    rows appended behind the head's back, as the first of them.
    """
    head = session.get(ChainHead, 1)
    head_seq = head.last_seq if head is not None else 0
    prev, last_seq = GENESIS, 0
    first_unheaded: int | None = None
    rows = session.exec(select(EntryEvent).order_by(col(EntryEvent.seq)).execution_options(yield_per=1000))
    for entry in rows:
        seq = entry.seq or 0
        if entry.prev_hash != prev or row_hash(prev, entry) != entry.row_hash:
            logger.warning("entry log chain broken at seq %s", seq)
            return seq
        if first_unheaded is None and seq > head_seq:
            first_unheaded = seq
        prev, last_seq = entry.row_hash, seq
    if head is not None and (head.last_hash != prev or head_seq != last_seq):
        bad = first_unheaded if first_unheaded is not None else head_seq
        logger.warning("entry log ends at seq %s but its head points at seq %s", last_seq, head_seq)
        return bad
    return None
