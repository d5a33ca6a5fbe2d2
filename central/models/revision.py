"""The registry's revision: one counter, moved by every flush that writes a registry row.

A worker keeps registry rows in memory between decisions (central.decisions.cache) and reads this
counter once per batch: a change committed anywhere (console, API, import, another process) moves
it in the same transaction, so the next batch sees it and drops its cache before deciding.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel, col, select

from central.models import registry
from central.models.base import dialect_insert


class RegistryRevision(SQLModel, table=True):
    """The single row whose ``revision`` counts registry changes."""

    __tablename__ = "registry_revision"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    revision: int = 0


_TABLE = RegistryRevision.__table__  # type: ignore[attr-defined]
_READ = select(_TABLE.c.revision).where(_TABLE.c.id == 1)


def revision_now() -> Any:
    """The revision as a scalar subquery, for a statement that reads it along with other rows (NULL,
    read as 0, before the first change)."""
    return _READ.scalar_subquery()


def current_revision(session: Session) -> int:
    """The registry's revision now (0 before the first change)."""
    found = session.execute(_READ).scalar()  # once per batch of decisions: built once
    return int(found or 0)


def _touches_registry(session: OrmSession) -> bool:
    return any(
        type(obj).__module__ == registry.__name__ for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(OrmSession, "before_flush")
def _bump(session: OrmSession, flush_context: Any, instances: Any) -> None:
    if _touches_registry(session):
        bump(session)


def bump(session: OrmSession) -> None:
    """Move the revision in ``session``'s transaction: for a registry row written by a plain statement,
    which the flush above does not see (a one-time pass given back)."""
    moved = session.execute(
        update(RegistryRevision)
        .where(col(RegistryRevision.id) == 1)
        .values(revision=col(RegistryRevision.revision) + 1)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        stmt = dialect_insert(session, RegistryRevision).values(id=1, revision=1)  # type: ignore[arg-type]
        session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
