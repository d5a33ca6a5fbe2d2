"""Schema migrations (Alembic): the revision a database is at, upgrading it, refusing to run behind.

Revisions live in ``versions/`` beside this file and ship in the wheel. A fresh database is built
by ``create_all`` and stamped at head; an existing one only ever moves by ``campusgate db upgrade``.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from central import CentralError

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
BASELINE = "0001"  # the schema as it stood when migrations began
UPGRADE_HINT = "campusgate db upgrade"


class SchemaBehind(CentralError):
    """The database's schema revision is not the code's head: run ``campusgate db upgrade``."""


def config(connection: Connection | None = None) -> Config:
    """An Alembic config on this package's scripts, with ``connection`` for env.py."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@cache  # the revisions ship with the code: read them once per process (readiness asks on every probe)
def scripts() -> ScriptDirectory:
    """The revisions in ``versions/``."""
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision the code knows."""
    heads = scripts().get_heads()
    if len(heads) != 1:
        raise SchemaBehind(f"the migrations have {len(heads)} heads {heads}: merge them first")
    return heads[0]


def current(engine: Engine) -> str | None:
    """The database's revision; None for a database never stamped (empty, or older than migrations)."""
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def has_tables(engine: Engine) -> bool:
    """Whether the database holds any table at all."""
    return bool(inspect(engine).get_table_names())


def stamp_head(engine: Engine) -> None:
    """Record that the database is at head (only for one just built from the models)."""
    with engine.begin() as conn:
        command.stamp(config(conn), "head")


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``target``: (revision before, revision after).

    An empty database is built revision by revision from the baseline; a database with tables but
    no revision predates migrations and is taken to be the baseline (it was made by create_all).
    """
    before = current(engine)
    unstamped = before is None and has_tables(engine)
    with engine.begin() as conn:
        cfg = config(conn)
        if unstamped:
            logger.warning(
                "database has tables but no schema revision: taking it as the baseline %s", BASELINE
            )
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, target)
    after = current(engine)
    assert after is not None
    return before, after


def check_current(engine: Engine) -> str:
    """The database's revision if it is head; raises SchemaBehind naming the command to run."""
    want, have = head(), current(engine)
    if have == want:
        return have
    where = engine.url.render_as_string(hide_password=True)
    if have is None:
        raise SchemaBehind(f"database {where} has no schema revision (head is {want}): run `{UPGRADE_HINT}`")
    if _unknown(have):
        raise SchemaBehind(
            f"database {where} is at revision {have}, which this version of campusgate does not know "
            f"(head is {want}): it was upgraded by a newer release; install that release"
        )
    raise SchemaBehind(f"database {where} is at revision {have}, behind head {want}: run `{UPGRADE_HINT}`")


def _unknown(revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts().get_revision(revision) is None
    except CommandError:  # "Can't locate revision": one a newer release wrote
        return True


def new_revision(message: str, *, rev_id: str | None = None) -> Path:
    """Write the next revision into ``versions/``: what the models add to a scratch database at head.

    Autogenerate on SQLite sees tables, columns, types, nullability, indexes and named constraints;
    read the file before committing it (a rename comes out as a drop and an add).
    """
    import tempfile

    from sqlalchemy import create_engine

    with tempfile.TemporaryDirectory() as tmp:
        scratch = create_engine(f"sqlite:///{tmp}/scratch.db")
        try:
            with scratch.begin() as conn:
                command.upgrade(config(conn), "head")
                number = rev_id or f"{len(list((HERE / 'versions').glob('[0-9]*.py'))) + 1:04d}"
                script = command.revision(config(conn), message=message, autogenerate=True, rev_id=number)
        finally:
            scratch.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
