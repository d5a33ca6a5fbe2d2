"""Households and people: registering, changing, the commuter certificate and the phone link."""

from __future__ import annotations

import secrets
from datetime import date

from sqlmodel import Session, col, select

from central.models.base import code_form
from central.models.registry import Campus, Household, Person
from central.models.users import User
from central.office.changes import record_change
from central.office.errors import Conflict, must_get, plausible_days
from central.office.idnumber import id_hash, id_last4
from central.office.schemas import HouseholdCreate, PersonCreate, PersonUpdate


def add_household(session: Session, *, actor: User | None, body: HouseholdCreate) -> Household:
    """A new household (Conflict if the flat is registered); journalled when ``actor`` is given."""
    campus = must_get(session, Campus, body.campus_id, "campus")
    same = select(Household).where(
        Household.campus_id == body.campus_id,
        Household.building == body.building,
        Household.unit == body.unit,
        Household.room == body.room,
    )
    if session.exec(same).first():
        raise Conflict(f"household {body.building}-{body.unit}-{body.room} exists on this campus")
    label = body.label or f"{campus.name_zh} {body.building}-{body.unit}-{body.room}"
    household = Household(**body.model_dump(exclude={"label"}), label=label)
    session.add(household)
    session.flush()
    if actor is not None:
        record_change(session, actor, "create", "household", household.id)
    return household


Named = tuple[int, str]  # a person's id and name, as a refusal names them


def student_numbers(session: Session, *, active_only: bool = False) -> dict[str, list[Named]]:
    """(id, name) of everyone holding a student number, by the number in code form: rows stored before
    numbers were kept in that form, and duplicates registered before they were refused, are found
    too. Columns only, not people: 20,000 students are read in milliseconds."""
    stmt = select(Person.id, Person.name, Person.student_no).where(col(Person.student_no).is_not(None))
    if active_only:
        stmt = stmt.where(col(Person.active))
    found: dict[str, list[Named]] = {}
    for person_id, name, number in session.exec(stmt.order_by(col(Person.id))):
        if person_id is not None:
            found.setdefault(code_form(number or ""), []).append((person_id, name))
    return found


def who(people: list[Named]) -> str:
    """People as a refusal names them, for the office to find them: "学生丙 (#12), 学生丁 (#15)"."""
    return ", ".join(f"{name} (#{person_id})" for person_id, name in people)


def _student_no_free(session: Session, number: str | None, person_id: int | None = None) -> None:
    # one student, one number: the results import finds a student by it and refuses an ambiguous one
    holders = [p for p in student_numbers(session).get(number, []) if p[0] != person_id] if number else []
    if holders:
        raise Conflict(f"student number {number!r} is already registered to {who(holders)}")


def add_person(session: Session, *, actor: User | None, body: PersonCreate) -> Person:
    """A new person (NotFound for an unknown household, Conflict for an ID number or a student number
    already registered)."""
    plausible_days(key_person_until=body.key_person_until)
    if body.household_id is not None:
        must_get(session, Household, body.household_id, "household")
    digest = id_hash(body.id_number) if body.id_number else None
    if digest and session.exec(select(Person.id).where(Person.id_hash == digest)).first():
        raise Conflict("a person with this ID number is already registered")
    _student_no_free(session, body.student_no)
    person = Person(
        **body.model_dump(exclude={"id_number"}),
        id_hash=digest,
        id_last4=id_last4(body.id_number) if body.id_number else None,
        link_secret=secrets.token_urlsafe(24),
    )
    session.add(person)
    session.flush()
    if actor is not None:
        record_change(session, actor, "create", "person", person.id, category=person.category)
    return person


def change_person(session: Session, *, actor: User, person_id: int, body: PersonUpdate) -> Person:
    """Change a person (deactivate, key-person monitoring, move household, …); Conflict for a
    student number another person holds."""
    person = must_get(session, Person, person_id, "person")
    changes = body.model_dump(exclude_unset=True)
    plausible_days(key_person_until=changes.get("key_person_until"))
    if changes.get("household_id") is not None:
        must_get(session, Household, changes["household_id"], "household")
    number = changes.get("student_no")
    if number and number != code_form(person.student_no or ""):  # resending one's own number is no change
        _student_no_free(session, number, person_id)
    for key, value in changes.items():
        setattr(person, key, value)
    session.add(person)
    record_change(session, actor, "update", "person", person_id, fields=sorted(changes))
    return person


def record_commuter(
    session: Session, *, actor: User, person_id: int, certificate: bool, valid_until: date | None
) -> Person:
    """Record (or withdraw) the commuter certificate with its last valid day, and who saw it."""
    plausible_days(valid_until=valid_until if certificate else None)
    person = must_get(session, Person, person_id, "person")
    person.commuter = certificate
    person.commuter_until = valid_until if certificate else None
    person.commuter_recorded_by = actor.username
    session.add(person)
    record_change(
        session, actor, "update", "person", person_id, commuter=certificate, until=person.commuter_until
    )
    return person


def phone_link_secret(session: Session, *, actor: User, person_id: int) -> str:
    """The person's personal phone-pass secret, made on first request."""
    person = must_get(session, Person, person_id, "person")
    if not person.link_secret:
        person.link_secret = secrets.token_urlsafe(24)
        session.add(person)
        record_change(session, actor, "update", "person", person_id, phone_link=True)
    return person.link_secret
