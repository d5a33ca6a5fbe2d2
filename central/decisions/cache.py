"""Registry rows a worker keeps between decisions, dropped whenever the registry's revision moves.

Deciding a scan reads the same few rows again and again (the gate, the campus policy, the pass,
its person and household, approvals). The cache serves them from memory; at the start of every
batch it reads the registry revision (one statement, central.models.revision) and starts empty if
anything in the registry changed since: a revocation, a policy or a gate closed an instant before
is in force for the very next decision. Visitor-pass use is never taken from the cache (the
conditional update decides it, or it is read afresh) and household days are
claimed atomically in the database; a day's holder, once someone holds it, never changes, so it is
remembered, but only after the transaction that saw it committed (:meth:`RegistryCache.committed`):
until then it is the transaction's own (its session's ``info``), never seen by a transaction beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from central.models.base import any_of, built
from central.models.revision import current_revision

logger = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=SQLModel)
MAX_ENTRIES = 200_000  # a large campus's passes, people and households; beyond it, start again
_PENDING = "campusgate_remembered"  # session.info: what the open transaction remembered


class RegistryCache:
    """Registry rows and derived values by key, valid for one registry revision."""

    def __init__(self) -> None:
        self.revision: int | None = None
        self._values: dict[tuple[Any, ...], Any] = {}
        self.hits = self.misses = 0

    def refresh(self, session: Session, revision: int | None = None) -> bool:
        """Read the registry revision (inside the batch's transaction) unless the caller read it in the
        same transaction; drop everything if it moved. Whether it moved (or was read the first time)."""
        if revision is None:
            revision = current_revision(session)
        moved = revision != self.revision
        if moved or len(self._values) > MAX_ENTRIES:
            if self.revision is not None and moved:
                logger.info("registry revision %s -> %s: facts cache dropped", self.revision, revision)
            self._values.clear()
            self.revision = revision
        return moved

    def drop(self) -> None:
        """Forget everything and the revision: for a transaction that moved the revision itself, which
        may yet roll back (its number would then be the next commit's, and a cache that had taken it
        would keep serving rows from before that commit). The next batch reads the revision afresh."""
        self._values.clear()
        self.revision = None

    def row(self, session: Session, model: type[M], key: Any) -> M | None:
        """``session.get(model, key)``, from memory when this revision already read it."""
        return self.value((model.__name__, key), lambda: _detached(session, session.get(model, key)))

    def value(self, key: tuple[Any, ...], load: Callable[[], T]) -> T:
        """A value derived from registry rows (e.g. a person's approvals), loaded once per revision."""
        if self.has(key):
            found: T = self.cached(key)
            return found
        loaded = load()
        self.put(key, loaded)
        return loaded

    def has(self, key: tuple[Any, ...]) -> bool:
        """Whether this revision already holds ``key``."""
        return key in self._values

    def cached(self, key: tuple[Any, ...]) -> Any:
        """The value held for ``key`` (see :meth:`has`)."""
        self.hits += 1
        return self._values[key]

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        """Hold a value read from the registry in this revision."""
        self.misses += 1
        self._values[key] = value

    def load_rows(self, session: Session, model: type[M], keys: Iterable[Any]) -> list[M | None]:
        """The rows of ``keys``, those not held read in one statement (a key with no row holds None)."""
        name, rows = model.__name__, {}
        for k in set(keys):
            if self.has((name, k)):
                rows[k] = self.cached((name, k))
        missing = sorted(set(keys) - rows.keys())
        if missing:
            key_column = getattr(model, model.__mapper__.primary_key[0].name)  # type: ignore[attr-defined]
            rows_of = built(session, ("rows", name), lambda d: select(model).where(any_of(d, key_column)))
            found = {getattr(r, key_column.key): r for r in session.exec(rows_of, params={"ids": missing})}
            for k in missing:
                rows[k] = _detached(session, found.get(k))
                self.put((name, k), rows[k])
        return list(rows.values())

    def hold_row(self, session: Session, model: type[M], key: Any, row: M | None) -> None:
        """Hold a row read by a statement of the caller's (e.g. a join), as :meth:`row` would have."""
        if not self.has((model.__name__, key)):
            self.put((model.__name__, key), _detached(session, row))

    def remember(self, session: Session, key: tuple[Any, ...], value: Any) -> None:
        """A value read or written in ``session``'s open transaction: kept once it commits."""
        session.info.setdefault(_PENDING, {})[key] = value

    def recall(self, session: Session, key: tuple[Any, ...]) -> Any:
        """A remembered value (``session``'s own first), or None."""
        found = session.info.get(_PENDING, {}).get(key)
        return found if found is not None else self._values.get(key)

    def committed(self, session: Session) -> None:
        """``session``'s transaction committed: what it remembered is true for everyone now."""
        self._values.update(session.info.pop(_PENDING, {}))


class NoCache(RegistryCache):
    """Reads straight from the database every time (tools and tests that change rows in-line)."""

    def refresh(self, session: Session, revision: int | None = None) -> bool:
        """Nothing is kept, so nothing to drop; the registry may always have moved."""
        return True

    def has(self, key: tuple[Any, ...]) -> bool:
        """Nothing is held."""
        return False

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        """Nothing is kept."""

    def remember(self, session: Session, key: tuple[Any, ...], value: Any) -> None:
        """Nothing is kept."""


def _detached(session: Session, obj: M | None) -> M | None:
    # kept beyond the session: its loaded columns stay readable, and it never refreshes behind our back
    if obj is not None:
        session.expunge(obj)
    return obj


def forget(session: Session, key: tuple[Any, ...]) -> None:
    """Drop what ``session``'s open transaction remembered for ``key`` (a claim it gave back)."""
    session.info.get(_PENDING, {}).pop(key, None)
