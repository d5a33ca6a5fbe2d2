"""Writing a linked batch of entry-log rows: the rows, the chain head's move, the rows of other tables
decided with them (household-day claims, fever alerts, incidents) and, when the caller ends its
transaction here, the commit.

SQLite: one short insert executed for every row, the head's update, the other rows as plain inserts.
PostgreSQL, where every statement is a round trip: the rows as one JSON text read back by
``json_to_recordset``, with the head moved in the same statement, and, committing, every statement
and the ``COMMIT`` sent as one simple-protocol query (see docs/decision-flow.md).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import ClientCursor
from sqlalchemy import JSON, Column, Dialect, Table, Text, bindparam, cast, column, insert, update
from sqlmodel import Session, SQLModel, func, select

from central.audit.canonical import CONTENT_FIELDS
from central.models.base import UTCDateTime
from central.models.journal import ChainHead, EntryEvent

INSERTED = (*CONTENT_FIELDS, "prev_hash", "row_hash")  # the columns a row is written with, but its seq
_HEAD = ChainHead.__table__  # type: ignore[attr-defined]
_LOG = EntryEvent.__table__  # type: ignore[attr-defined]
# built once: a statement built per batch costs more in SQLAlchemy than the database's work on it
_MOVE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
)
_INSERT_ROWS = insert(_LOG)


def _append_statement() -> Any:
    # PostgreSQL: the batch's rows as one JSON array, read back as a record set, and the head moved
    # in the same statement: one round trip and one statement text whatever the batch's size, where
    # the rows' executemany (in psycopg's pipeline) and the head's update took two. One JSON text:
    # json.dumps is C, where psycopg dumps a list bound per column element by element in Python
    names = (*INSERTED, "seq")
    rows = (
        func.json_to_recordset(cast(bindparam("rows", type_=Text), JSON))
        .table_valued(*(column(n, _LOG.c[n].type) for n in names))
        .render_derived(with_types=True)
    )
    moved = (
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(last_seq=bindparam("last_seq"), last_hash=bindparam("hash"))
        .cte("moved_head")
    )
    return insert(_LOG).from_select(names, select(*rows.c)).add_cte(moved)


_APPEND = _append_statement()
_INSTANTS = tuple(c.name for c in _LOG.c if isinstance(c.type, UTCDateTime))
Other = tuple[Table, Mapping[str, Any]]  # a row of another table: every column but a generated key


def other(row: SQLModel) -> Other:
    """A table object (a fever alert, an incident) as a row to insert with the batch."""
    table = _table(row)
    return table, {c.name: getattr(row, c.name) for c in _written(table)}


def _as_json(rows: list[dict[str, Any]], dialect: Dialect) -> str:
    # instants as their column sends them (naive UTC), written out as JSON text
    for row in rows:
        for name in _INSTANTS:
            value = _stored(_LOG.c[name], row[name], dialect)
            row[name] = None if value is None else value.isoformat()
    return json.dumps(rows, ensure_ascii=False)


def write(
    session: Session,
    rows: list[dict[str, Any]],
    head_hash: str,
    *,
    commit: bool,
    with_rows: Sequence[Other],
) -> None:
    """Insert ``rows`` (every column of the log's rows, ``seq`` included, already linked), move the
    head to the last of them (``head_hash``: its hash) and insert ``with_rows`` first; ``commit``: end
    the transaction too (on PostgreSQL in the same query)."""
    dialect = session.get_bind().dialect
    if not rows:
        _insert(session, with_rows)
    elif dialect.name == "postgresql":
        params = {"rows": _as_json(rows, dialect), "last_seq": rows[-1]["seq"], "hash": head_hash}
        if commit:
            _append_and_commit(session, params, with_rows)
            return
        _insert(session, with_rows)
        session.execute(_APPEND, params)
    else:
        _insert(session, with_rows)
        session.execute(_INSERT_ROWS, rows)
        session.execute(_MOVE_HEAD, {"seq": rows[-1]["seq"], "hash": head_hash})
    if commit:
        session.commit()


def _insert(session: Session, rows: Sequence[Other]) -> None:
    # rows of other tables, as plain statements (one per table, in order of first appearance): the
    # ORM's unit of work cost a small batch with a fever a millisecond and a round trip per table
    by_table: dict[Table, list[Mapping[str, Any]]] = {}
    for table, values in rows:
        by_table.setdefault(table, []).append(values)
    for table, values_of in by_table.items():
        session.execute(insert(table), values_of)


def _append_and_commit(session: Session, params: dict[str, Any], with_rows: Sequence[Other]) -> None:
    # the inserts and COMMIT as one simple-protocol query, the values quoted by psycopg itself
    # (client-side binding escapes them as the server reads them): a round trip each was a seventh of
    # a small batch's. A failed insert stops the query before its COMMIT; the error reaches the
    # caller as SQLAlchemy's, and the caller rolls back as for any statement.
    session.flush()  # anything the ORM still holds goes first, inside the transaction
    connection = session.connection()
    dialect = connection.dialect
    driver: Any = connection.connection.driver_connection
    quote = ClientCursor(driver).mogrify
    statements = []
    for table, row in with_rows:
        values = {c.name: _stored(c, row[c.name], dialect) for c in _written(table)}
        statements.append(quote(_insert_sql(dialect, table), values))
    text, defaults = _append_sql(dialect)
    statements += [quote(text, {**defaults, **params}), "COMMIT"]
    # executed without a parameter collection: psycopg then reads no placeholder in the text (a % in a
    # holder's name) and sends it by the simple protocol, which takes the statements as one query
    connection.execution_options(no_parameters=True).exec_driver_sql("; ".join(statements))
    session.commit()  # the session's own bookkeeping; the connection has nothing left to commit


def _table(row: SQLModel) -> Table:
    return row.__table__  # type: ignore[attr-defined,no-any-return]


def _written(table: Table) -> list[Column[Any]]:
    # every column but a generated key
    return [c for c in table.c if not (c.primary_key and c.autoincrement)]


def _stored(column: Column[Any], value: Any, dialect: Dialect) -> Any:
    # a value as the column's type sends it (an instant as naive UTC): quoted client-side, nothing
    # else would convert it
    process = column.type.bind_processor(dialect)
    return value if process is None else process(value)


@functools.cache
def _insert_sql(dialect: Dialect, table: Table) -> str:
    # one row's insert as psycopg reads it, made once per table
    statement = insert(table).values({c.name: bindparam(c.name, type_=c.type) for c in _written(table)})
    return str(statement.compile(dialect=dialect))


@functools.cache
def _append_sql(dialect: Dialect) -> tuple[str, dict[str, Any]]:
    # the statement's text as psycopg reads it, and its fixed values (the head's id), made once
    compiled = _APPEND.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)
