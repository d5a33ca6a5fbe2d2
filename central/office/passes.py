"""Passes: issue for a person, a household, a campus or a vehicle; revoke; re-issue."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from central.models.registry import Campus, Household, Pass, Person, Vehicle
from central.models.users import User
from central.office.changes import record_change
from central.office.errors import Conflict, Invalid, must_get
from central.office.schemas import PassCreate
from central.office.windows import window_in
from central.office.zones import zone_of


def holders(session: Session, body: PassCreate) -> list[Person]:
    """The active people a pass request covers (404 for an unknown target)."""
    stmt = select(Person).where(col(Person.active)).order_by(col(Person.id))
    if body.person_id is not None:
        person = must_get(session, Person, body.person_id, "person")
        if not person.active:
            raise Invalid(f"person {body.person_id} is not active")
        return [person]
    if body.household_id is not None:
        must_get(session, Household, body.household_id, "household")
        return list(session.exec(stmt.where(Person.household_id == body.household_id)))
    must_get(session, Campus, body.campus_id, "campus")
    households = select(Household.id).where(Household.campus_id == body.campus_id)
    return list(session.exec(stmt.where(col(Person.household_id).in_(households))))


def campus_of(session: Session, household: Household | None, body: PassCreate) -> int | None:
    """The campus a pass is for: its household's; the request's campus_id must then agree, and without a
    household it must name a campus that exists (None when there is neither)."""
    if body.campus_id is not None:
        must_get(session, Campus, body.campus_id, "campus")
        if household is not None and household.campus_id != body.campus_id:
            raise Invalid("the household is on another campus")
    return household.campus_id if household else body.campus_id


def campus_window(
    session: Session, campus_id: int, valid_from: datetime | date, valid_until: datetime | date
) -> tuple[datetime, datetime]:
    """A window as stored, its bare dates read as the campus's local days (central.office.windows)."""
    campus = must_get(session, Campus, campus_id, "campus")
    try:
        return window_in(zone_of(campus), valid_from, valid_until)  # the clock its card prints
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def vehicle_pass(session: Session, body: PassCreate) -> Pass:
    """A VEHICLE pass (the token's person id is the vehicle id), on the owner's household campus."""
    vehicle = must_get(session, Vehicle, body.vehicle_id, "vehicle")
    owner = session.get(Person, vehicle.owner_person_id)
    household = session.get(Household, owner.household_id) if owner and owner.household_id else None
    campus_id = campus_of(session, household, body)
    if campus_id is None:
        raise Invalid(f"the owner of vehicle {vehicle.id} has no household: give campus_id")
    assert vehicle.id is not None
    valid_from, valid_until = campus_window(session, campus_id, body.valid_from, body.valid_until)
    row = Pass(
        person_id=vehicle.id,
        kind="VEHICLE",
        form=body.form,
        campus_id=campus_id,
        household_id=household.id if household else None,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(row)
    session.flush()
    return row


def issue_passes(session: Session, body: PassCreate) -> list[Pass]:
    """Pass rows for every holder (campus from the household; a person without one needs campus_id)."""
    if body.vehicle_id is not None:
        return [vehicle_pass(session, body)]
    people = holders(session, body)
    passes = []
    for person in people:
        assert person.id is not None
        household = session.get(Household, person.household_id) if person.household_id else None
        campus_id = campus_of(session, household, body)
        if campus_id is None:
            raise Invalid(f"person {person.id} has no household: give campus_id")
        valid_from, valid_until = campus_window(session, campus_id, body.valid_from, body.valid_until)
        passes.append(
            Pass(
                person_id=person.id,
                kind=person.category,
                form=body.form,
                campus_id=campus_id,
                household_id=person.household_id,
                valid_from=valid_from,
                valid_until=valid_until,
            )
        )
    session.add_all(passes)
    session.flush()
    return passes


def issue(session: Session, *, actor: User, body: PassCreate) -> list[Pass]:
    """Issue passes for one person, a whole household, a whole campus or a vehicle; journalled."""
    passes = issue_passes(session, body)
    for p in passes:
        record_change(session, actor, "issue", "access_pass", p.id, person_id=p.person_id)
    return passes


def revoke(session: Session, *, actor: User, pass_id: int) -> Pass:
    """Revoke a pass (Conflict if it is already); the caller re-publishes its campus's gate configs."""
    row = must_get(session, Pass, pass_id, "pass")
    if row.revoked_at is not None:
        raise Conflict(f"pass {pass_id} is already revoked")
    row.revoked_at = datetime.now(UTC)
    session.add(row)
    record_change(session, actor, "revoke", "access_pass", pass_id)
    return row


def reissue(session: Session, *, actor: User, pass_id: int) -> tuple[Pass, bool]:
    """A new pass with the same holder and window (a lost card); the old one revoked if it was not.

    Returns the new pass and whether the old one was revoked just now (its campus's configs change)."""
    old = must_get(session, Pass, pass_id, "pass")
    revoked_now = old.revoked_at is None
    if revoked_now:
        old.revoked_at = datetime.now(UTC)
        session.add(old)
    new = Pass(**old.model_dump(exclude={"id", "revoked_at", "used_at"}))
    session.add(new)
    session.flush()
    record_change(session, actor, "issue", "access_pass", new.id, replaces=pass_id)
    return new, revoked_now
