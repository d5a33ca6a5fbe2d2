"""What the registry knows about a verified pass, gathered into :class:`gatecore.policy.Facts`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from central.decisions.cache import NoCache, RegistryCache
from central.decisions.ledger import day_holder
from central.models.base import any_of, built, utc
from central.models.registry import Approval, Gate, Household, Pass, Person, ReturnBatch, Vehicle
from central.office.nucleic import last_negative_at
from gatecore.masking import mask_name
from gatecore.policy import STAFF_KINDS, Facts, Window
from gatecore.tokens import PassClaims, PassKind

T = TypeVar("T")


def gate_facts(gate: Gate | None) -> Facts:
    """Facts for a scan whose pass could not be read: only the gate is known."""
    return Facts(gate_open=gate.open if gate else True)


def build_facts(
    session: Session,
    claims: PassClaims,
    gate: Gate,
    day: date,
    *,
    revoked_as_of: datetime | None = None,
    cache: RegistryCache | None = None,
    nucleic: bool = True,
) -> Facts:
    """Facts for a pass whose signature verified, as of the campus-local ``day`` of the scan.

    A pass counts as revoked if it is revoked now; with ``revoked_as_of`` (an offline decision being
    reconciled) only if it was revoked by then: a gate that admitted someone before the revocation
    was right at the time, one that admitted them after it was not. Registry rows come from
    ``cache`` when given (the worker's, valid for the current registry revision). ``nucleic``: read
    the latest test only when the campus's policy asks for one (a statement per scan otherwise).
    """
    c = cache or NoCache()
    pass_row = c.row(session, Pass, claims.pass_id)
    # a validly signed token must still match the registry row it names
    known = pass_row is not None and _matches(pass_row, claims)
    person_id = claims.person_id
    vehicle_registered = False
    if claims.kind is PassKind.VEHICLE:
        vehicle = c.row(session, Vehicle, claims.person_id)
        vehicle_registered = vehicle is not None and vehicle.valid_until >= day
        person_id = vehicle.owner_person_id if vehicle else 0
    person = c.row(session, Person, person_id) if person_id else None
    household = c.row(session, Household, claims.household_id) if claims.household_id else None
    approvals: tuple[Window, ...] = ()
    batches: tuple[Window, ...] = ()
    exits: tuple[Window, ...] = ()
    if person is not None and person.id is not None:
        # closed management: approvals to leave, whatever the pass's kind
        exits = _approved(session, c, person.id, "exit")
        if claims.kind in STAFF_KINDS or claims.kind is PassKind.CONTRACTOR:
            approvals = _approved(
                session, c, person.id, "staff" if claims.kind in STAFF_KINDS else "contractor"
            )
    if (
        person is not None
        and person.id is not None
        and claims.kind in (PassKind.STUDENT, PassKind.INTL_STUDENT)
    ):
        batches = return_batches(session, c, [person.id])[person.id]
    return Facts(
        known=known,
        revoked=pass_row is not None
        and pass_row.revoked_at is not None
        and (revoked_as_of is None or utc(pass_row.revoked_at) <= utc(revoked_as_of)),
        person_active=person is not None and person.active,
        holder_name=mask_name(person.name) if person else "",
        household_label=household.label if household else "",
        gate_open=gate.open,
        key_person_until=person.key_person_until if person else None,
        commuter=person.commuter_on(day) if person else False,
        approvals=approvals,
        return_batches=batches,
        visitor_used=pass_row is not None and pass_row.used_at is not None,
        vehicle_registered=vehicle_registered,
        day_holder=day_holder(session, claims.household_id, day, c) if household else None,
        group=person.group if person else None,
        exit_approvals=exits,
        last_negative_at=last_negative_at(session, person.id) if nucleic and person and person.id else None,
    )


def _approved(session: Session, c: RegistryCache, person_id: int, kind: str) -> tuple[Window, ...]:
    return approvals_by_kind(session, c, [person_id])[person_id].get(kind, ())


def approvals_by_kind(
    session: Session, c: RegistryCache, person_ids: Iterable[int]
) -> dict[int, dict[str, tuple[Window, ...]]]:
    """Each person's approved windows by kind (staff, contractor, exit), one statement for those the
    cache lacks. Approvals are registry rows: the cache drops them when one is granted or withdrawn."""
    return _per_person(
        session,
        c,
        "approvals",
        person_ids,
        lambda d: select(Approval).where(any_of(d, col(Approval.person_id)), _GRANTED),
        _windows_by_kind,
    )


_GRANTED = col(Approval.status) == "approved"


def _windows_by_kind(rows: list[Approval]) -> dict[str, tuple[Window, ...]]:
    return {
        kind: tuple(Window(a.valid_from, a.valid_until) for a in rows if a.kind == kind)
        for kind in {a.kind for a in rows}
    }


def return_batches(
    session: Session, c: RegistryCache, person_ids: Iterable[int]
) -> dict[int, tuple[Window, ...]]:
    """Each person's return batches (students may come back within one), as approvals above."""
    return _per_person(
        session,
        c,
        "batches",
        person_ids,
        lambda d: select(ReturnBatch).where(any_of(d, col(ReturnBatch.person_id))),
        lambda rows: tuple(Window(b.start, b.end) for b in rows),
    )


def _per_person(
    session: Session,
    c: RegistryCache,
    name: str,
    person_ids: Iterable[int],
    query: Callable[[str], Any],
    shape: Callable[[list[Any]], T],
) -> dict[int, T]:
    wanted = set(person_ids)
    found = {p: c.cached((name, p)) for p in wanted if c.has((name, p))}
    missing = sorted(wanted - found.keys())
    if missing:
        rows: dict[int, list[Any]] = {p: [] for p in missing}
        for row in session.exec(built(session, ("per_person", name), query), params={"ids": missing}):
            rows[row.person_id].append(row)
        for p in missing:
            found[p] = shape(rows[p])
            c.put((name, p), found[p])
    return found


def prefetch(session: Session, c: RegistryCache, gate_ids: set[str], passes: list[PassClaims]) -> None:
    """Read what a batch's passes need, one statement per table for all the rows the cache lacks: a
    cold cache (a new day's first scans, the scans after any registry change) would otherwise read
    them scan by scan, five statements each."""
    if isinstance(c, NoCache):
        return
    c.load_rows(session, Gate, gate_ids)
    _passes_with_holders(session, c, {p.pass_id for p in passes})
    vehicles = c.load_rows(session, Vehicle, {p.person_id for p in passes if p.kind is PassKind.VEHICLE})
    people = {p.person_id for p in passes if p.kind is not PassKind.VEHICLE}
    people |= {v.owner_person_id for v in vehicles if v is not None}
    c.load_rows(session, Person, people)
    c.load_rows(session, Household, {p.household_id for p in passes if p.household_id})
    approvals_by_kind(session, c, people)
    return_batches(
        session, c, {p.person_id for p in passes if p.kind in (PassKind.STUDENT, PassKind.INTL_STUDENT)}
    )


def _passes_with_holders(session: Session, c: RegistryCache, pass_ids: set[int]) -> None:
    # the passes the cache lacks with their holders, households and the holders' granted approvals,
    # one statement (on PostgreSQL each statement is a round trip: four of them were half a small
    # batch's); a holder with several approvals comes on as many rows
    wanted = {k for k in pass_ids if not c.has(("Pass", k))}
    if not wanted:
        return
    joined = built(session, "passes_with_holders", _passes_joined)
    granted: dict[int, list[Approval]] = {}
    for pass_row, person, household, approval in session.execute(joined, {"ids": sorted(wanted)}).all():
        c.hold_row(session, Pass, pass_row.id, pass_row)
        if household is not None:
            c.hold_row(session, Household, household.id, household)
        if person is not None:
            c.hold_row(session, Person, person.id, person)
            held = granted.setdefault(person.id, [])
            if approval is not None and approval not in held:
                held.append(approval)
    for k in wanted:
        c.hold_row(session, Pass, k, None)  # no such pass: held as None, as load_rows does
    for person_id, rows in granted.items():
        if not c.has(("approvals", person_id)):
            c.put(("approvals", person_id), _windows_by_kind(rows))


def _passes_joined(dialect: str) -> Any:
    holder = (col(Person.id) == col(Pass.person_id)) & (col(Pass.kind) != PassKind.VEHICLE.name)
    return (
        sa_select(Pass, Person, Household, Approval)
        .outerjoin(Person, holder)
        .outerjoin(Household, col(Household.id) == col(Pass.household_id))
        .outerjoin(Approval, (col(Approval.person_id) == col(Person.id)) & _GRANTED)
        .where(any_of(dialect, col(Pass.id)))
    )


def _matches(row: Pass, claims: PassClaims) -> bool:
    return (
        row.person_id == claims.person_id
        and row.kind == claims.kind.name
        and row.campus_id == claims.campus_id
        and (row.household_id or 0) == claims.household_id
    )
