"""Atomic claims made by the database: the household day and the one-time visitor pass.

Never read-then-write in Python: two workers (or two gates) in the same second would both see
"free" and both win. The database's unique key or conditional update decides instead.

A batch of decisions (central.decisions.batch) reads its households' days in one statement when it
begins (:func:`read_days`) and inserts its claims on days it read free when it ends
(:func:`take_claims`): plain inserts in the query that appends its log rows and commits, before any
answer exists. Should one of them turn out taken after all (another worker committed it in between),
the day's unique key fails that query before its COMMIT, and the batch rolls back and is decided
again claim by claim (:class:`ClaimLost`).

Lock order: a batch's deferred claims are inserted while it holds the chain head (locked for its
log rows), so a batch that claims as it decides locks the head first (:func:`read_days`): every
transaction takes the head before any household day, and none waits in a circle.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from central.audit.chain import lock_head
from central.decisions.cache import NoCache, RegistryCache, forget
from central.models.base import any_of, built, dialect_insert
from central.models.journal import DAY_KEY, RECONCILE, EntryEvent, HouseholdDay, gate_verdict, gate_verdict_of
from central.models.registry import Pass, Person
from central.models.revision import bump
from gatecore.masking import mask_name
from gatecore.policy import DayClaim, Holder
from gatecore.tokens import PassKind

logger = logging.getLogger(__name__)
_DAYS = HouseholdDay.__table__  # type: ignore[attr-defined]
_LOG = EntryEvent.__table__  # type: ignore[attr-defined]
_HOLDER = select(_DAYS.c.person_id, _DAYS.c.created_at).where(
    _DAYS.c.household_id == bindparam("household"), _DAYS.c.local_date == bindparam("day")
)
_BOOK = "campusgate_household_days"  # session.info: the open batch's DayBook


class ClaimLost(Exception):
    """A day the batch read free was taken before its claims were inserted: decide it again."""


@dataclass
class DayBook:
    """The household days a batch read free when it began, and the claims it made on them."""

    free: set[tuple[int, date]] = field(default_factory=set)
    claims: list[dict[str, Any]] = field(default_factory=list)


def read_days(
    session: Session, cache: RegistryCache, days: set[tuple[int, date]], *, claim_late: bool = True
) -> None:
    """Who holds each of the (household, local date) ``days``, in one statement for those ``cache``
    does not know: the holders are remembered, the others read free, so that deciding the batch reads
    none of them again. With ``claim_late``, claims on a day read free wait for :func:`take_claims`;
    without it (or without a cache) the batch claims as it decides, and the chain head is locked now,
    before any day (the lock order)."""
    if isinstance(cache, NoCache) or not claim_late:
        lock_head(session)
    if isinstance(cache, NoCache):
        return  # nothing would be remembered: every day is read, and claimed, as it is decided
    book = DayBook() if claim_late else None  # claiming as it decides, the batch needs no book
    if book is not None:
        session.info[_BOOK] = book
    wanted = {(h, d) for h, d in days if cache.recall(session, _day_key(h, d)) is None}
    if not wanted:
        return
    holders = built(
        session,
        "day_holders",
        lambda d: select(
            _DAYS.c.household_id, _DAYS.c.local_date, _DAYS.c.person_id, _DAYS.c.created_at
        ).where(any_of(d, _DAYS.c.household_id, "households"), any_of(d, _DAYS.c.local_date, "days")),
    )
    found = {
        (h, d): (p, at)
        for h, d, p, at in session.execute(
            holders, {"households": sorted({h for h, _ in wanted}), "days": sorted({d for _, d in wanted})}
        )
    }
    cache.load_rows(session, Person, {p for p, _ in found.values()})
    for key in wanted:  # the statement read every pairing of the households and days asked for
        if key in found:
            person_id, at = found[key]
            cache.remember(session, _day_key(*key), holder_of(session, person_id, cache, at=at))
        elif book is not None:
            book.free.add(key)


def claim_day(
    session: Session,
    claim: DayClaim,
    event_id: str,
    *,
    at: datetime | None = None,
    cache: RegistryCache | None = None,
) -> Holder | None:
    """Claim the household's day for ``claim.person_id``; None if this person holds it, else the holder."""
    at = at or datetime.now(UTC)
    values = {
        "household_id": claim.household_id,
        "local_date": claim.local_date,
        "person_id": claim.person_id,
        "event_id": event_id,
        "created_at": at,
    }
    key = _day_key(claim.household_id, claim.local_date)
    book = _read_free(session, claim.household_id, claim.local_date)
    if book is not None:  # read free when the batch began: claimed when it ends
        book.free.discard((claim.household_id, claim.local_date))
        book.claims.append(values)
        if cache is not None:
            cache.remember(session, key, holder_of(session, claim.person_id, cache, at=at))
        return None
    holder_id, claimed_at = session.execute(_claim_statement(session), values).one()
    holder = holder_of(session, holder_id, cache, at=claimed_at)
    if cache is not None:
        cache.remember(session, key, holder)
    return None if holder_id == claim.person_id else holder


def _read_free(session: Session, household_id: int, local_date: date) -> DayBook | None:
    # the open batch's book, when the batch read this day free as it began
    book: DayBook | None = session.info.get(_BOOK)
    return book if book is not None and (household_id, local_date) in book.free else None


def take_claims(session: Session) -> list[dict[str, Any]]:
    """The batch's claims on days it read free, in one lock order, as household-day rows to insert
    with its log rows (plain inserts: a day taken meanwhile fails them, see :func:`claim_conflict`)."""
    book = session.info.pop(_BOOK, None)
    if book is None:
        return []
    return sorted(book.claims, key=lambda v: (v["household_id"], v["local_date"]))


def claim_conflict(exc: IntegrityError) -> bool:
    """Whether ``exc`` is a household day's unique key: a day the batch read free was claimed by
    someone else before the batch's claims were inserted."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if constraint is not None:  # PostgreSQL names it
        return bool(constraint == DAY_KEY)
    return "household_day.household_id" in str(exc.orig)  # SQLite names the columns


_CLAIMS: dict[str, Any] = {}  # the claim statement by dialect, built once


def _claim_statement(session: Session) -> Any:
    # one statement: insert, or touch the existing claim and return its holder. PostgreSQL: a
    # concurrent uncommitted claim makes this wait, then it returns the winner once that commits.
    # SQLite: the transaction already holds the write lock.
    dialect = session.get_bind().dialect.name
    if dialect not in _CLAIMS:  # the table's columns: a plain statement
        _CLAIMS[dialect] = _claiming(dialect_insert(session, HouseholdDay)).returning(
            _DAYS.c.person_id, _DAYS.c.created_at
        )
    return _CLAIMS[dialect]


def _claiming(insert: Any) -> Any:
    # a claim on a held day touches the row (so that RETURNING gives its holder) and changes nothing
    return insert.on_conflict_do_update(
        index_elements=["household_id", "local_date"], set_={"household_id": insert.excluded.household_id}
    )


def day_holder(
    session: Session, household_id: int, local_date: date, cache: RegistryCache | None = None
) -> Holder | None:
    """Who holds the household's day, if anyone (a read for the facts; the claim decides). A holder
    once seen is remembered by ``cache``: the day's holder never changes."""
    key = _day_key(household_id, local_date)
    known = cache.recall(session, key) if cache is not None else None
    if known is not None:
        return known  # type: ignore[no-any-return]
    if _read_free(session, household_id, local_date) is not None:
        return None
    row = session.execute(_HOLDER, {"household": household_id, "day": local_date}).first()
    if row is None:
        return None
    holder = holder_of(session, row[0], cache, at=row[1])
    if cache is not None:
        cache.remember(session, key, holder)
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
    result = session.execute(_USE_PASS, {"pass_id": pass_id, "at": at})
    return bool(result.rowcount)  # type: ignore[attr-defined]


_PASSES = Pass.__table__  # type: ignore[attr-defined]
# a plain statement built once: the ORM's bulk update, or a statement built per scan, cost more than
# the update itself
_USE_PASS = (
    update(_PASSES)
    .where(_PASSES.c.id == bindparam("pass_id"), _PASSES.c.used_at.is_(None))
    .values(used_at=bindparam("at", type_=_PASSES.c.used_at.type))
)


def visitor_pass_used(session: Session, pass_id: int) -> bool:
    """Whether a one-time pass is used, read now (a pass row the cache holds may be older)."""
    return session.execute(_PASS_USED, {"pass_id": pass_id}).scalar() is not None


def give_back(session: Session, cache: RegistryCache, entry: Any, pending: Iterable[Any]) -> list[str]:
    """Undo what central's decision ``entry`` (its log row) took that nobody used: the household day it
    claimed and the one-time pass it marked used. For a person the gate, deciding alone before
    central's answer came, turned away. Nothing is given back when a later decision of the same
    household or pass that admitted someone is logged or among ``pending`` (the rows the batch will
    add): the person came back and got in, or a guard let them in, and that admission stands on what
    this one took. What was given back (names for the log)."""
    # the head before any day or pass row, as every transaction takes them (docs/decision-flow.md),
    # and before the log is read for a later admission: one another worker is logging meanwhile (a
    # late copy of the gate's admission taking the day, see central.decisions.service) is then seen
    lock_head(session)
    if _relied_on(session, entry, pending):
        return []
    given = []
    days = [(c["household_id"], c["local_date"]) for c in _forget_claim(session, entry.event_id)]
    days += [(h, d) for h, d in session.execute(_GIVE_BACK_DAY, {"event_id": entry.event_id})]
    for household_id, local_date in days:  # who held it, as this transaction remembers it
        forget(session, _day_key(household_id, local_date))
    if days:
        given.append("household day")
    if entry.pass_id is not None:
        freed = session.execute(_GIVE_BACK_PASS, {"pass_id": entry.pass_id, "at": entry.received_at})
        if freed.rowcount:  # type: ignore[attr-defined]
            given.append("one-time visitor pass")
    if given:
        bump(session)  # every worker drops what it remembered of these rows before its next decision
        cache.drop()  # this one at once: later events of this batch read them again (never a number
        # this transaction made: it may yet roll back, and the next commit would reuse it)
    return given


def _relied_on(session: Session, entry: Any, pending: Iterable[Any]) -> bool:
    # a later admission, as the gate acted (gate_verdict's rule), of the same household or pass: in
    # the batch, or in the log. A reconciliation the batch holds is not in the log yet, where the SQL
    # would read it: rows it completes, logged or pending, are judged here by the rule's twin
    pending = list(pending)
    reconciling = {row.of_event for row in pending if row.kind == RECONCILE}

    def same(row: Any) -> bool:
        return row.event_id != entry.event_id and (
            (entry.household_id is not None and row.household_id == entry.household_id)
            or (entry.pass_id is not None and row.pass_id == entry.pass_id)
        )

    if any(
        row.kind == "decision" and same(row) and gate_verdict_of(row, pending) == "allow" for row in pending
    ):
        return True
    either = []
    if entry.household_id is not None:
        either.append(_LOG.c.household_id == entry.household_id)
    if entry.pass_id is not None:
        either.append(_LOG.c.pass_id == entry.pass_id)
    if not either:
        return False
    later = sa_select(_LOG.c.event_id, _LOG.c.offline_verdict, _LOG.c.verdict).where(
        _LOG.c.kind == "decision",
        or_(gate_verdict() == "allow", _LOG.c.event_id.in_(sorted(reconciling))),
        _LOG.c.event_id != entry.event_id,
        _LOG.c.received_at >= bindparam("at", entry.received_at, type_=_LOG.c.received_at.type),
        or_(*either),
    )
    # the rows the batch completes are at most one each: one row more holds any other admission
    found = session.execute(later.limit(len(reconciling) + 1))
    return any(row.event_id not in reconciling or gate_verdict_of(row, pending) == "allow" for row in found)


def _forget_claim(session: Session, event_id: str) -> list[dict[str, Any]]:
    # claims this batch made and has not inserted yet (the original copy earlier in the batch)
    book: DayBook | None = session.info.get(_BOOK)
    mine = [c for c in book.claims if c["event_id"] == event_id] if book is not None else []
    for claim in mine:
        assert book is not None
        book.claims.remove(claim)
        book.free.add((claim["household_id"], claim["local_date"]))
    return mine


_PASS_USED = sa_select(_PASSES.c.used_at).where(_PASSES.c.id == bindparam("pass_id"))
_GIVE_BACK_DAY = (
    delete(_DAYS)
    .where(_DAYS.c.event_id == bindparam("event_id"))
    .returning(_DAYS.c.household_id, _DAYS.c.local_date)
)
_GIVE_BACK_PASS = (
    update(_PASSES)
    .where(
        _PASSES.c.id == bindparam("pass_id"),
        _PASSES.c.kind == PassKind.VISITOR.name,
        _PASSES.c.used_at == bindparam("at", type_=_PASSES.c.used_at.type),
    )
    .values(used_at=None)
)
