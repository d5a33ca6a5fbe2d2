"""Atomic claims made by the database: the household day and the one-time visitor pass.

Never read-then-write in Python: two workers (or two gates) in the same second would both see
"free" and both win. The database's unique key or conditional update decides instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from central.decisions.cache import NoCache, RegistryCache
from central.models.base import dialect_insert
from central.models.journal import HouseholdDay
from central.models.registry import Pass, Person
from gatecore.masking import mask_name
from gatecore.policy import DayClaim, Holder

logger = logging.getLogger(__name__)
_DAYS = HouseholdDay.__table__  # type: ignore[attr-defined]
_HOLDER = select(_DAYS.c.person_id, _DAYS.c.created_at).where(
    _DAYS.c.household_id == bindparam("household"), _DAYS.c.local_date == bindparam("day")
)


def claim_day(
    session: Session,
    claim: DayClaim,
    event_id: str,
    *,
    at: datetime | None = None,
    cache: RegistryCache | None = None,
) -> Holder | None:
    """Claim the household's day for ``claim.person_id``; None if this person holds it, else the holder."""
    values = {
        "household_id": claim.household_id,
        "local_date": claim.local_date,
        "person_id": claim.person_id,
        "event_id": event_id,
        "created_at": at or datetime.now(UTC),
    }
    holder_id, claimed_at = session.execute(_claim_statement(session), values).one()
    holder = holder_of(session, holder_id, cache, at=claimed_at)
    if cache is not None:
        cache.remember(_day_key(claim.household_id, claim.local_date), holder)
    return None if holder_id == claim.person_id else holder


_CLAIMS: dict[str, Any] = {}  # the claim statement by dialect, built once


def _claim_statement(session: Session) -> Any:
    # one statement: insert, or touch the existing claim and return its holder. PostgreSQL: a
    # concurrent uncommitted claim makes this wait, then it returns the winner once that commits.
    # SQLite: the transaction already holds the write lock.
    dialect = session.get_bind().dialect.name
    if dialect not in _CLAIMS:
        insert = dialect_insert(session, HouseholdDay)
        _CLAIMS[dialect] = insert.on_conflict_do_update(
            index_elements=["household_id", "local_date"], set_={"household_id": insert.excluded.household_id}
        ).returning(_DAYS.c.person_id, _DAYS.c.created_at)  # the table's columns: a plain statement
    return _CLAIMS[dialect]


def day_holder(
    session: Session, household_id: int, local_date: date, cache: RegistryCache | None = None
) -> Holder | None:
    """Who holds the household's day, if anyone (a read for the facts; the claim decides). A holder
    once seen is remembered by ``cache``: the day's holder never changes."""
    key = _day_key(household_id, local_date)
    known = cache.recall(key) if cache is not None else None
    if known is not None:
        return known  # type: ignore[no-any-return]
    row = session.execute(_HOLDER, {"household": household_id, "day": local_date}).first()
    if row is None:
        return None
    holder = holder_of(session, row[0], cache, at=row[1])
    if cache is not None:
        cache.remember(key, holder)
    return holder


def _day_key(household_id: int, local_date: date) -> tuple[str, int, date]:
    return ("day_holder", household_id, local_date)


def holder_of(
    session: Session, person_id: int, cache: RegistryCache | None = None, *, at: datetime | None = None
) -> Holder:
    """A person as a day holder: id, masked name (the person's row from ``cache`` when given) and
    when the day was claimed."""
    person = (cache or NoCache()).row(session, Person, person_id)
    return Holder(person_id=person_id, masked_name=mask_name(person.name) if person else "", at=at)


def use_visitor_pass(session: Session, pass_id: int, at: datetime) -> bool:
    """Mark a one-time pass used; False when it already was (a concurrent scan got there first)."""
    passes = Pass.__table__  # type: ignore[attr-defined]
    result = session.execute(  # a plain statement: the ORM's bulk update costs more than the update
        update(passes).where(passes.c.id == pass_id, passes.c.used_at.is_(None)).values(used_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
