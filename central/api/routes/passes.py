"""Passes API: issue for a person, a household or a campus; list; revoke; re-issue; QR text; cards."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import Field
from sqlmodel import Session, col, func, select

from central.api.auth import Role, User, require_roles
from central.api.deps import (
    IdFilter,
    Limit,
    Offset,
    ReadSession,
    RowId,
    WriteSession,
    get_or_404,
    keyring_of,
    publish_campus,
    record_change,
    refuse,
)
from central.api.routes.registry import Office, Reader
from central.models.base import MAX_DB_INT
from central.models.registry import Campus, Household, Pass, Person, Vehicle
from central.office import passcards
from central.office.schemas import Page, PassCreate, PassPublic

router = APIRouter(prefix="/api/v1/passes", tags=["passes"])
Printer = Annotated[User, Depends(require_roles(Role.SECURITY))]


def holders(session: Session, body: PassCreate) -> list[Person]:
    """The active people a pass request covers (404 for an unknown target)."""
    stmt = select(Person).where(col(Person.active)).order_by(col(Person.id))
    if body.person_id is not None:
        person = get_or_404(session, Person, body.person_id, "person")
        if not person.active:
            raise refuse(422, f"person {body.person_id} is not active")
        return [person]
    if body.household_id is not None:
        get_or_404(session, Household, body.household_id, "household")
        return list(session.exec(stmt.where(Person.household_id == body.household_id)))
    get_or_404(session, Campus, body.campus_id, "campus")
    households = select(Household.id).where(Household.campus_id == body.campus_id)
    return list(session.exec(stmt.where(col(Person.household_id).in_(households))))


def vehicle_pass(session: Session, body: PassCreate) -> Pass:
    """A VEHICLE pass (the token's person id is the vehicle id), on the owner's household campus."""
    vehicle = get_or_404(session, Vehicle, body.vehicle_id, "vehicle")
    owner = session.get(Person, vehicle.owner_person_id)
    household = session.get(Household, owner.household_id) if owner and owner.household_id else None
    campus_id = household.campus_id if household else body.campus_id
    if campus_id is None:
        raise refuse(422, f"the owner of vehicle {vehicle.id} has no household: give campus_id")
    assert vehicle.id is not None
    row = Pass(
        person_id=vehicle.id,
        kind="VEHICLE",
        form=body.form,
        campus_id=campus_id,
        household_id=household.id if household else None,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
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
        campus_id = household.campus_id if household else body.campus_id
        if campus_id is None:
            raise refuse(422, f"person {person.id} has no household: give campus_id")
        passes.append(
            Pass(
                person_id=person.id,
                kind=person.category,
                form=body.form,
                campus_id=campus_id,
                household_id=person.household_id,
                valid_from=body.valid_from,
                valid_until=body.valid_until,
            )
        )
    session.add_all(passes)
    session.flush()
    return passes


@router.post("", response_model=list[PassPublic], status_code=status.HTTP_201_CREATED)
def issue(body: PassCreate, session: WriteSession, user: Office) -> list[Pass]:
    """Issue passes for one person, a whole household or a whole campus."""
    passes = issue_passes(session, body)
    for p in passes:
        record_change(session, user, "issue", "access_pass", p.id, person_id=p.person_id)
    session.commit()
    return passes


@router.get("", response_model=Page[PassPublic])
def list_passes(
    session: ReadSession,
    user: Reader,
    person_id: IdFilter = None,
    household_id: IdFilter = None,
    campus_id: IdFilter = None,
    revoked: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PassPublic]:
    """Passes, filtered by person, household, campus and revoked."""
    cond = []
    for column, value in (
        (Pass.person_id, person_id),
        (Pass.household_id, household_id),
        (Pass.campus_id, campus_id),
    ):
        if value is not None:
            cond.append(col(column) == value)
    if revoked is not None:
        cond.append(col(Pass.revoked_at).is_not(None) if revoked else col(Pass.revoked_at).is_(None))
    total = session.exec(select(func.count()).select_from(Pass).where(*cond)).one()
    rows = session.exec(select(Pass).where(*cond).order_by(col(Pass.id).desc()).offset(offset).limit(limit))
    return Page(data=[PassPublic.model_validate(r, from_attributes=True) for r in rows], count=total)


@router.post("/{pass_id}/revoke", response_model=PassPublic)
def revoke(pass_id: RowId, request: Request, session: WriteSession, user: Office) -> Pass:
    """Revoke a pass; every gate of its campus gets the new revocation list on its retained config."""
    row = get_or_404(session, Pass, pass_id, "pass")
    if row.revoked_at is not None:
        raise refuse(409, f"pass {pass_id} is already revoked")
    row.revoked_at = datetime.now(UTC)
    session.add(row)
    record_change(session, user, "revoke", "access_pass", pass_id)
    session.commit()
    publish_campus(request, session, row.campus_id)
    return row


@router.post("/{pass_id}/reissue", response_model=PassPublic, status_code=status.HTTP_201_CREATED)
def reissue(pass_id: RowId, request: Request, session: WriteSession, user: Office) -> Pass:
    """Revoke a pass (if not yet) and issue a new one with the same holder and window (a lost card)."""
    old = get_or_404(session, Pass, pass_id, "pass")
    revoked_now = old.revoked_at is None
    if revoked_now:
        old.revoked_at = datetime.now(UTC)
        session.add(old)
    new = Pass(**old.model_dump(exclude={"id", "revoked_at", "used_at"}))
    session.add(new)
    session.flush()
    record_change(session, user, "issue", "access_pass", new.id, replaces=pass_id)
    session.commit()
    if revoked_now:
        publish_campus(request, session, old.campus_id)
    return new


@router.get("/{pass_id}/qr")
def qr_text(pass_id: RowId, request: Request, session: ReadSession, user: Printer) -> dict[str, str]:
    """The signed QR text of a card pass."""
    row = get_or_404(session, Pass, pass_id, "pass")
    if row.form != "CARD":
        raise refuse(422, "a phone pass is signed on the holder's phone page, not here")
    return {"qr": keyring_of(request).issue(row)}


@router.get("/{pass_id}/card.pdf")
def card_pdf(pass_id: RowId, request: Request, session: ReadSession, user: Printer) -> Response:
    """A printable single card (PDF)."""
    card = passcards.card_for(session, keyring_of(request), get_or_404(session, Pass, pass_id, "pass"))
    return Response(
        passcards.render_pdf([card]),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="pass-{pass_id}.pdf"'},
    )


@router.get("/{pass_id}/card.png")
def card_png(pass_id: RowId, request: Request, session: ReadSession, user: Printer) -> Response:
    """A card as a PNG image."""
    card = passcards.card_for(session, keyring_of(request), get_or_404(session, Pass, pass_id, "pass"))
    return Response(passcards.render_png(card), media_type="image/png")


@router.get("/sheet.pdf", include_in_schema=True)
def sheet_pdf(
    request: Request,
    session: ReadSession,
    user: Printer,
    ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_DB_INT)]], Query(alias="id", max_length=500)] = [],  # noqa: B006
    household_id: IdFilter = None,
) -> Response:
    """An A4 sheet of cards: the given pass ids, or a household's current passes."""
    stmt = select(Pass).where(col(Pass.revoked_at).is_(None), Pass.form == "CARD").order_by(col(Pass.id))
    if ids:
        stmt = stmt.where(col(Pass.id).in_(ids))
    elif household_id is not None:
        stmt = stmt.where(Pass.household_id == household_id)
    else:
        raise refuse(422, "give id=… or household_id")
    ring = keyring_of(request)
    cards = [passcards.card_for(session, ring, p) for p in session.exec(stmt)]
    if not cards:
        raise refuse(404, "no printable passes")
    return Response(passcards.render_pdf(cards, sheet=True), media_type="application/pdf")
