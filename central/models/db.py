"""Engines and sessions: SQLite (WAL, the demo) or PostgreSQL (production), one way to open both."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
# Execution option naming the statement that opens a SQLite transaction. Writers need
# IMMEDIATE: a deferred transaction that reads and then writes fails at once with SQLITE_BUSY
# under WAL when another writer got in between, instead of waiting for busy_timeout.
SQLITE_BEGIN = "campusgate_sqlite_begin"
_HOLDS_WRITE = "campusgate_holds_write"


def make_engine(url: str | URL, *, echo: bool = False, ping: bool = True) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql://…`` (driven by psycopg 3). ``ping``: check a
    PostgreSQL connection before each use (a round trip), so that one the server closed (a restart, an
    idle timeout) is replaced instead of failing the request."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, echo=echo, pool_pre_ping=ping)
        event.listen(engine, "connect", _postgres_session)
        return engine
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    memory = parsed.database in (None, "", ":memory:")
    if not memory:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
    engine = create_engine(
        parsed,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        poolclass=StaticPool if memory else None,
    )
    _sqlite_events(engine)
    return engine


def _postgres_session(dbapi_conn: Any, record: Any) -> None:
    # psycopg prepares a statement run five times, and PostgreSQL may then keep one generic plan for
    # it, made while the table was small. On a new entry log that plan was a sequential scan for the
    # duplicate check, which grew with every row (1.2 ms per batch at 5,000 rows, until autovacuum's
    # ANALYZE): plan every execution for its parameters instead (0.3 ms, with the index)
    with dbapi_conn.cursor() as cur:
        cur.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_conn.commit()


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # pysqlite's own transaction handling would BEGIN DEFERRED behind our back; turn it off
        # so that the "begin" hook below decides how each transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    # SQLite has one writer at a time, and a writer that finds the file locked sleeps by SQLite's
    # back-off (1, 2, 5 … 100 ms) however soon the lock frees: two threads of one worker (decisions,
    # gate statuses, the sequence check) made each other wait 100-300 ms. Within the process they
    # queue on this lock instead and start the moment the other commits; other processes still meet
    # busy_timeout. A plain lock, not a re-entrant one: a web request may begin its transaction on one
    # thread and commit it on another; a writer that cannot have it in busy_timeout goes on to
    # SQLite's own wait, as before.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        begin = conn.get_execution_options().get(SQLITE_BEGIN, "BEGIN IMMEDIATE")
        if begin != "BEGIN" and writers.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            conn.info[_HOLDS_WRITE] = True
        try:
            conn.exec_driver_sql(begin)
        except BaseException:
            _release(conn)
            raise

    def _release(conn: Any) -> None:
        if conn.info.pop(_HOLDS_WRITE, False):
            writers.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def unavailable(exc: BaseException) -> str:
    """A database error in one line for a log: its class and, for a database that cannot be used (a
    connection refused or lost, a locked SQLite file), what the driver said, which names the cause.
    Never the statement or its values, which may be a person's (SQLAlchemy's own text holds both);
    other errors (a unique key, a bad value) are named by class alone for the same reason."""
    name = type(exc).__name__
    if not isinstance(exc, OperationalError):
        return name
    said = " ".join(str(exc.orig).split())
    return f"{name}: {said[:300]}" if said else name


def unpinged(engine: Engine) -> Engine:
    """The engine for a hot path that handles a lost connection itself (the decision thread): on
    PostgreSQL a pool of its own without the ping, which was a round trip per batch of decisions, one
    in seven; a connection the server closed fails its first statement, SQLAlchemy then drops every
    pooled connection that old, and the caller goes again. SQLite: the same engine (its writers share
    one lock per engine)."""
    if engine.dialect.name != "postgresql":
        return engine
    return make_engine(engine.url, echo=bool(engine.echo), ping=False)


def read_only(engine: Engine) -> Engine:
    """The same pool, opening deferred transactions on SQLite so readers never queue behind writers."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SQLITE_BEGIN: "BEGIN"})
    return engine


def create_all(engine: Engine) -> None:
    """Build a fresh database from the models, stamped at the newest schema revision, and make sure
    of the entry log's chain head (idempotent); an existing database is left to ``campusgate db upgrade``."""
    from central import migrations
    from central.migrations.compare import load_tables
    from central.models.journal import ensure_head

    load_tables()  # every table module, so a database stamped at head has every table
    # only a fresh database is built from the models: on an existing one a table a later revision
    # adds must be left to that revision, or the upgrade would find it already there
    if not migrations.has_tables(engine):
        SQLModel.metadata.create_all(engine)
        migrations.stamp_head(engine)
    elif migrations.current(engine) != migrations.head():
        return  # an older schema: the caller's check refuses it, naming the command (the head waits)
    with session_scope(engine) as session:
        ensure_head(session)


@contextmanager
def snapshot(session: Session) -> Iterator[Session]:
    """A session whose statements all read one state of the database, for figures counted in several
    statements. PostgreSQL: a read-only REPEATABLE READ transaction of its own (each statement of a READ
    COMMITTED one sees what committed before it began, so two statements may see different rows; the
    level must be set before a transaction begins, and ``session``'s has); it sees nothing ``session``
    has not committed. SQLite: ``session`` itself, whose transaction already sees one state throughout
    (a writer holds the write lock; a reader keeps the WAL snapshot of its first read)."""
    engine = session.get_bind().engine
    if engine.dialect.name != "postgresql":
        yield session
        return
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect().execution_options(**options) as conn, Session(conn) as view:
        yield view


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
