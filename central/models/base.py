"""Column types and dialect helpers every table module uses: UTC datetimes, upserts, text search."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from annotated_types import Interval, Len
from pydantic import AfterValidator, BeforeValidator
from sqlalchemy import ARRAY, DateTime, any_, bindparam, false
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from gatecore.tokens import EARLIEST

# Named constraints: a migration can drop or alter them by name on PostgreSQL and in SQLite's batch
# mode alike (unnamed ones get dialect-specific names, or none). Set before any table is defined.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}

# ids and counters live in 32-bit INTEGER columns on PostgreSQL: a larger number is refused at the
# schema (API parameters, request bodies, console forms, message fields) instead of overflowing
# inside the driver (SQLite's own limit, 64 bits, is a 500 too)
MAX_DB_INT = 2**31 - 1
ID_NOT_BOOLEAN = "an id is a number, not true or false"


def _not_boolean(value: object) -> object:
    # pydantic takes JSON true as the integer 1: "campus_id": true registered a gate on campus 1
    if isinstance(value, bool):
        raise ValueError(ID_NOT_BOOLEAN)
    return value


# a table's id in a request, a filter or a form (the bound before the validator: it stays in the API document)
DbId = Annotated[int, Interval(ge=1, le=MAX_DB_INT), BeforeValidator(_not_boolean)]
NUL_REFUSED = "text must not contain a NUL character"  # PostgreSQL text cannot hold one
# JSON may spell half of a UTF-16 pair alone ("\\ud800"): no character, so no text a database or an answer holds
SURROGATE_REFUSED = (
    "text must not contain a lone surrogate (\\ud800 to \\udfff), which is half of a character's code"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
BLANK_REFUSED = "must not be blank"  # nothing of the text shows
NOTE_LENGTH = 500  # a note: why a report was corrected, what a step of a fever incident found


T = TypeVar("T")


def plain_text(value: str) -> str:
    """``value`` as it is, or ValueError (``NUL_REFUSED``, ``SURROGATE_REFUSED``): the one check that
    text fits the database."""
    if "\x00" in value:
        raise ValueError(NUL_REFUSED)
    if _SURROGATE.search(value):
        raise ValueError(SURROGATE_REFUSED)
    return value


# a C0/C1 control (a line break or tab inside a name) or a bidi embedding, override or isolate, which
# reorders how the rest of a line reads on the console, a card or an exported spreadsheet
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def one_line(value: str) -> str:
    """``value`` without surrounding white space (a cell's stray tab), refused if a control is left inside."""
    value = plain_text(value).strip()
    if _CONTROL.search(value):
        raise ValueError(
            "text must not contain control characters (line breaks, tabs or direction overrides)"
        )
    return value


def code_form(value: str) -> str:
    """A code people type — building, unit, room, student number — as it is stored and compared:
    full-width characters as ASCII (NFKC), no surrounding spaces, upper case. "３" typed on a Chinese
    keyboard and "3" are one flat, so a household is never registered twice (which would give one
    flat two people a day), and a student number matches however it was typed."""
    return unicodedata.normalize("NFKC", value).strip().upper()


# how people write a plate's parts apart: 晋A·12345, 晋A 12345, 晋A-12345 are one car
_PLATE_MARKS = re.compile(r"[\s·•・\-.]")


def plate_form(value: str) -> str:
    """A licence plate as it is stored and compared: its code form (full-width as ASCII, upper case)
    without the marks written between its parts, so one car is never registered twice."""
    return _PLATE_MARKS.sub("", code_form(value))


def plate_checked(value: str) -> str:
    """A plate in its plate form, refused unless it is letters and digits (a zero-width space or a
    direction override inside it, a stray symbol)."""
    if not value.isalnum():
        raise ValueError(f"plate {value!r}: letters and digits only, e.g. 晋A12345")
    return value


# a plate as the API takes it: normalised before the length check (" k" must not pass as "K" and then
# fail every listing); the length before the normaliser in this list: a string's length check (not a
# list's "choose at least 2"), still run on the normalised plate, as a before-validator wraps it
Plate = Annotated[
    str,
    Len(2, 16),
    BeforeValidator(lambda v: plate_form(v) if isinstance(v, str) else v),
    AfterValidator(plate_checked),
]


def filled(value: str) -> str:
    """``value``, refused when nothing of it is visible (spaces, ideographic spaces, direction marks)."""
    if all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in value):
        raise ValueError(BLANK_REFUSED)
    return value


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC without an offset and hands back aware UTC datetimes, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Aware values are converted to UTC; naive ones are taken as UTC already."""
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Mark what the database returns as UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive input is taken as UTC)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def within(value: datetime, low: datetime, high: datetime) -> bool:
    """Whether ``value`` has a UTC instant, and it lies from ``low`` to ``high`` (aware): an instant in
    year 1 or 9999 with an offset may have none (``0001-01-01T00:00+08:00``)."""
    try:
        return low <= utc(value) <= high
    except OverflowError:
        return False


def search_time(value: datetime) -> datetime:
    """``value`` if it can bound a search by time, else ValueError: not before the Unix epoch (nothing
    central keeps is older; year 1 is a typing slip) and with a UTC instant inside ``datetime``'s years
    (one that has none would fail the query, or a CSV already streaming)."""
    if within(value, EARLIEST, datetime.max.replace(tzinfo=UTC)):
        return value
    raise ValueError(f"must lie between {EARLIEST.date()} and {date.max} UTC")


# a number, or text that is only one, which pydantic reads as seconds (or milliseconds) since 1970:
# a date typed without dashes, "20261201", became 1970-08-23 12:06:41
_NUMERIC = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")
TIME_NOT_NUMBER = "a number is not a time: enter a date as YYYY-MM-DD or a time as YYYY-MM-DD HH:MM"


def not_a_number(value: object) -> object:
    """``value`` as it is, or ValueError(``TIME_NOT_NUMBER``) if it is a number or the text of one."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number or (isinstance(value, str) and _NUMERIC.fullmatch(value)):
        raise ValueError(TIME_NOT_NUMBER)
    return value


Day = Annotated[date, BeforeValidator(not_a_number)]  # a date in a request: "0" was 1970-01-01
# a since/until of the log's searches
SearchTime = Annotated[datetime, BeforeValidator(not_a_number), AfterValidator(search_time)]


def dialect_insert(session: Session, model: type[SQLModel]) -> Any:
    """``INSERT`` into a table model with ``on_conflict_*``, for the session's dialect."""
    table = model.__table__  # type: ignore[attr-defined]
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert for dialect {name!r}")


def any_of(dialect: str, column: Any, name: str | None = "ids", values: Iterable[Any] | None = None) -> Any:
    """SQL for ``column IN :name``, the list bound when the statement runs (so that a statement can
    be built once, see :func:`built`) or given as ``values``. On PostgreSQL ``column = ANY(array)``:
    one statement however many values, where an IN list is a new statement for each length, planned
    (and prepared) again; a batch of decisions paid up to 9 ms for that where the lookup itself takes
    0.5 ms."""
    value = None if values is None else list(values)
    if dialect == "postgresql":
        return column == any_(bindparam(name, value, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, value, expanding=True))


_BUILT: dict[tuple[str, Hashable], Any] = {}


def built(session: Session, key: Hashable, build: Callable[[str], T]) -> T:
    """The statement ``build(dialect)`` makes, built once per dialect and key: on the decision path,
    building a select costs SQLAlchemy more than the database's work on it."""
    dialect = session.get_bind().dialect.name
    found = _BUILT.get((dialect, key))
    if found is None:
        found = _BUILT[(dialect, key)] = build(dialect)
    return found  # type: ignore[no-any-return]


def one_of(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """SQL for ``column IN values`` in the session's dialect (see :func:`any_of`)."""
    return any_of(session.get_bind().dialect.name, column, None, values)


def contains_text(column: Any, q: str) -> Any:
    """SQL for "column contains q" as plain text: ``%`` and ``_`` are escaped, so they match themselves,
    and a NUL (which SQLite cuts the pattern at, and PostgreSQL refuses) matches nothing."""
    if "\x00" in q:
        return false()
    return column.contains(q, autoescape=True)
