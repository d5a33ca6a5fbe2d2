"""Passes API: issue for a person, a household or a campus; list; revoke; re-issue; QR text; cards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import col, select

from central.api.deps import (
    IdFilter,
    Limit,
    OfficeUser,
    Offset,
    ReadSession,
    RegistryReader,
    RowId,
    WriteSession,
    keyring_of,
    page_of,
    publish_campus,
)
from central.models.base import DbId
from central.models.registry import Pass
from central.office import passcards, passes
from central.office.errors import Invalid, NotFound, must_get
from central.office.schemas import Page, PassCreate, PassPublic

router = APIRouter(prefix="/api/v1/passes", tags=["passes"])
Printer = OfficeUser  # cards carry signed QR codes: only the office prints them


@router.post("", response_model=list[PassPublic], status_code=status.HTTP_201_CREATED)
def issue(body: PassCreate, session: WriteSession, user: OfficeUser) -> list[Pass]:
    """Issue passes for one person, a whole household or a whole campus."""
    issued = passes.issue(session, actor=user, body=body)
    session.commit()
    return issued


@router.get("", response_model=Page[PassPublic])
def list_passes(
    session: ReadSession,
    user: RegistryReader,
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
    return page_of(session, Pass, cond, PassPublic, order=col(Pass.id).desc(), limit=limit, offset=offset)


@router.post("/{pass_id}/revoke", response_model=PassPublic)
def revoke(pass_id: RowId, request: Request, session: WriteSession, user: OfficeUser) -> Pass:
    """Revoke a pass; every gate of its campus gets the new revocation list on its retained config."""
    row = passes.revoke(session, actor=user, pass_id=pass_id)
    session.commit()
    publish_campus(request, session, row.campus_id)
    return row


@router.post("/{pass_id}/reissue", response_model=PassPublic, status_code=status.HTTP_201_CREATED)
def reissue(pass_id: RowId, request: Request, session: WriteSession, user: OfficeUser) -> Pass:
    """Revoke a pass (if not yet) and issue a new one with the same holder and window (a lost card)."""
    new, revoked_now = passes.reissue(session, actor=user, pass_id=pass_id)
    session.commit()
    if revoked_now:
        publish_campus(request, session, new.campus_id)
    return new


def _card_pass(session: ReadSession, pass_id: int) -> Pass:
    """The pass, if it is a card: a phone pass's code lives a minute and is signed on its phone page."""
    row = must_get(session, Pass, pass_id, "pass")
    if row.form != "CARD":
        raise Invalid("a phone pass is signed on the holder's phone page, not here")
    return row


@router.get("/{pass_id}/qr")
def qr_text(pass_id: RowId, request: Request, session: ReadSession, user: Printer) -> dict[str, str]:
    """The signed QR text of a card pass."""
    return {"qr": keyring_of(request).issue(_card_pass(session, pass_id))}


@router.get("/{pass_id}/card.pdf")
def card_pdf(pass_id: RowId, request: Request, session: ReadSession, user: Printer) -> Response:
    """A printable single card (PDF)."""
    card = passcards.card_for(session, keyring_of(request), _card_pass(session, pass_id))
    return Response(
        passcards.render_pdf([card]),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="pass-{pass_id}.pdf"'},
    )


@router.get("/{pass_id}/card.png")
def card_png(pass_id: RowId, request: Request, session: ReadSession, user: Printer) -> Response:
    """A card as a PNG image."""
    card = passcards.card_for(session, keyring_of(request), _card_pass(session, pass_id))
    return Response(passcards.render_png(card), media_type="image/png")


@router.get("/sheet.pdf", include_in_schema=True)
def sheet_pdf(
    request: Request,
    session: ReadSession,
    user: Printer,
    ids: Annotated[list[DbId], Query(alias="id", max_length=500)] = [],  # noqa: B006
    household_id: IdFilter = None,
) -> Response:
    """An A4 sheet of cards: the given pass ids, or a household's current passes."""
    stmt = select(Pass).where(col(Pass.revoked_at).is_(None), Pass.form == "CARD").order_by(col(Pass.id))
    if ids:
        stmt = stmt.where(col(Pass.id).in_(ids))
    elif household_id is not None:
        stmt = stmt.where(Pass.household_id == household_id)
    else:
        raise Invalid("give id=… or household_id")
    ring = keyring_of(request)
    cards = [passcards.card_for(session, ring, p) for p in session.exec(stmt)]
    if not cards:
        raise NotFound("no printable passes")
    return Response(passcards.render_pdf(cards, sheet=True), media_type="application/pdf")
