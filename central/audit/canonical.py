"""The entry log chain's canonical form, in one place: which columns are hashed, their bytes, the link.

``row_hash = sha256(prev_hash + canonical JSON of the row's content fields)``: the JSON of a dict of
the content columns, keys sorted, no spaces, non-ASCII kept. The writer (``chain.append_entries``),
the verifiers and the bench's bulk fill all hash through :func:`link`; the verifiers stream only the
columns it needs (:func:`hashed_rows`) and walk them with :func:`walk`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, select, type_coerce
from sqlalchemy.types import TypeDecorator, TypeEngine

from central.models.base import UTCDateTime, utc
from central.models.journal import EntryEvent

_TABLE = EntryEvent.__table__  # type: ignore[attr-defined]
_NOT_CONTENT = frozenset({"seq", "prev_hash", "row_hash"})
# sorted: the order of the canonical JSON's keys
CONTENT_FIELDS = tuple(sorted(name for name in EntryEvent.model_fields if name not in _NOT_CONTENT))
_TIMES = tuple(name for name in CONTENT_FIELDS if isinstance(_TABLE.c[name].type, UTCDateTime))
_TIME_AT = tuple(CONTENT_FIELDS.index(name) for name in _TIMES)
# The JSON of the dict is put together from ONE encoding of the values (a C call on a flat list,
# a third of the cost of encoding the dict): the keys are fixed identifiers, already sorted, and a
# raw NUL, escaped inside every JSON string, can only be the separator the encoder put between two
# values. tests/central/audit/test_canonical.py holds it to json.dumps of the dict.
_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in CONTENT_FIELDS) + "}"
# a value no writer makes (bytes SQLite let an UPDATE put in any column) is hashed as its repr: it
# matches no row's hash, so verify names the row "edited" instead of failing to encode it
_VALUES = json.JSONEncoder(
    ensure_ascii=False, separators=("\x00", ":"), check_circular=False, default=repr
).encode
STREAM_BATCH = 5000
assert all(name.isidentifier() for name in CONTENT_FIELDS)


def canonical(values: Sequence[Any]) -> str:
    """The canonical JSON of a row's content, ``values`` in :data:`CONTENT_FIELDS` order: exactly
    ``json.dumps(dict(zip(CONTENT_FIELDS, values)), ensure_ascii=False, sort_keys=True,
    separators=(",", ":"))`` with each time as its UTC ISO string."""
    row = list(values)
    for i in _TIME_AT:
        at = row[i]
        if isinstance(at, datetime):
            # the database hands back UTC; hash the same form whatever offset the row was built with
            # (a naive time is UTC: the offset is written on, a third of the cost of attaching it)
            row[i] = at.isoformat() + "+00:00" if at.tzinfo is None else utc(at).isoformat()
    # a row one value short or long leaves the template short of or over its values: TypeError
    return _TEMPLATE % tuple(_VALUES(row)[1:-1].split("\x00"))


def link(prev_hash: str, values: Sequence[Any]) -> str:
    """The hash that links a row with these content ``values`` to the row whose hash is ``prev_hash``."""
    return hashlib.sha256((prev_hash + canonical(values)).encode()).hexdigest()


def row_hash(prev_hash: str, entry: Any) -> str:
    """The hash that links ``entry`` (anything with the content fields as attributes) to the row before it."""
    return link(prev_hash, [getattr(entry, name) for name in CONTENT_FIELDS])


class _StoredTime(TypeDecorator[Any]):
    """A time column read for hashing, without UTCDateTime's wrapper. On SQLite, which stores times as
    text and lets an UPDATE write any text there, the text is parsed here: a value that is no time
    is hashed as it is and matches no row's hash ("edited" at its row), where SQLAlchemy's own parse
    raised out of the walk. PostgreSQL's typed column hands back its datetime untouched."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> TypeEngine[Any]:
        return dialect.type_descriptor(String() if dialect.name == "sqlite" else DateTime())

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return super().result_processor(dialect, coltype) if dialect.name == "sqlite" else None

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return value
        return value


def hashed_rows(conn: Any, after: int | None, upto: int | None = None) -> Iterator[Any]:
    """``(seq, prev_hash, row_hash, *content)`` for the rows with ``after < seq <= upto`` in seq order
    (``after`` None: from the first row, whatever its number, a forged 0 or -5 too), streamed (a
    server-side cursor on PostgreSQL); ``conn`` is a Session or a Connection."""
    # times are read without UTCDateTime's wrapper (a third of the read's cost): canonical() takes a
    # naive time as UTC, exactly what the wrapper would have said
    columns = [
        type_coerce(_TABLE.c[name], _StoredTime()) if name in _TIMES else _TABLE.c[name]
        for name in CONTENT_FIELDS
    ]
    seq = _TABLE.c.seq
    stmt = select(seq, _TABLE.c.prev_hash, _TABLE.c.row_hash, *columns)
    if after is not None:
        stmt = stmt.where(seq > after)
    if upto is not None:
        stmt = stmt.where(seq <= upto)
    return iter(conn.execute(stmt.order_by(seq).execution_options(yield_per=STREAM_BATCH)))


@dataclass(frozen=True, slots=True)
class Walk:
    """Where a walk stopped: the last row that linked (``prev``, ``prev_seq``), how many did, and the
    first row that does not link (with the row after it, to tell the kind of damage) or None."""

    prev: str
    prev_seq: int
    count: int
    bad: Any = None
    following: Any = None


def walk(rows: Iterator[Any], prev: str, prev_seq: int) -> Walk:
    """Check that each of ``rows`` (from :func:`hashed_rows`) links to the one before, the first to ``prev``."""
    count = 0
    for row in rows:
        if row[1] != prev or link(prev, row[3:]) != row[2]:
            return Walk(prev, prev_seq, count, row, next(rows, None))
        prev, prev_seq, count = row[2], row[0], count + 1
    return Walk(prev, prev_seq, count)
