"""Finding households and people: by building-unit-room (exact parts), phone, last four ID digits or
name, a page at a time."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, col, func, select

from central.models.base import code_form, contains_text
from central.models.registry import Household, Person

ADDRESS = re.compile(r"^\s*([0-9A-Za-z]+)(?:\s*[-－]\s*([0-9A-Za-z]+))?(?:\s*[-－]\s*([0-9A-Za-z]+))?\s*$")
LAST4 = re.compile(r"[0-9]{3}[0-9Xx]")


def address_parts(q: str) -> tuple[str, ...] | None:
    """'2-3-302' -> ('2', '3', '302'), '2-3' -> ('2', '3'): a building-unit-room query, or None.
    A lone word is an address only with a dash ("2-" no; "2" is a name/phone/ID search)."""
    q = code_form(q)  # "３-１-１０１" typed on a Chinese keyboard is 3-1-101
    m = ADDRESS.match(q)
    if m is None or "-" not in q and "－" not in q:
        return None
    return tuple(p for p in m.groups() if p)


def _address_filter(parts: tuple[str, ...]) -> list[Any]:
    # exact parts: "2-3" is building 2, unit 3, never "1-2-302"
    return [c == v for c, v in zip((Household.building, Household.unit, Household.room), parts, strict=False)]


def household_filter(q: str | None) -> list[Any]:
    """The households ``q`` names: an address ("2-3-302", full-width too) exactly, else a piece of the
    label; the console's and the API's search alike."""
    if q and (parts := address_parts(q)):
        return _address_filter(parts)
    return [contains_text(col(Household.label), q.strip())] if q else []


def find_households(
    session: Session, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Household], int]:
    """A page of households matching ``q`` (an address, or a piece of the label) and the total."""
    cond = household_filter(q)
    count = session.exec(select(func.count()).select_from(Household).where(*cond)).one()
    rows = session.exec(
        select(Household).where(*cond).order_by(col(Household.id)).offset(offset).limit(limit)
    )
    return list(rows), int(count)


def person_filter(q: str | None) -> list[Any]:
    """The people ``q`` names: an address finds the household's people, four digits the last four of
    the ID number, a longer number the phone, anything else a piece of the name (no ``q``: everyone)."""
    text = (q or "").strip()
    if text and (parts := address_parts(text)):
        return [col(Person.household_id).in_(select(Household.id).where(*_address_filter(parts)))]
    if LAST4.fullmatch(last4 := code_form(text)):  # as idnumber.id_last4 keeps them: "１２３ｘ" is 123X
        return [Person.id_last4 == last4]
    if text.isdigit() and len(text) >= 5:
        return [contains_text(col(Person.phone), text)]
    if text:
        return [contains_text(col(Person.name), text)]
    return []


def find_people(
    session: Session, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Person, str | None]], int]:
    """A page of (person, household label) matching ``q`` (``person_filter``) and the total."""
    cond = person_filter(q)
    count = session.exec(select(func.count()).select_from(Person).where(*cond)).one()
    stmt = (
        select(Person, Household.label)
        .join(Household, col(Household.id) == Person.household_id, isouter=True)
        .where(*cond)
        .order_by(col(Person.id))
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt)), int(count)
