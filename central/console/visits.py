"""Console pages for visitors (registered with their one-time pass) and students' return batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from central.api.deps import CONSOLE_ROLES, ReadSession, WriteSession, page_of
from central.console.web import (
    PAGE,
    Viewer,
    admit,
    campus_names,
    form_of,
    page_offset,
    pager,
    person_names,
    render,
    submit,
)
from central.models.registry import Pass, Person, ReturnBatch
from central.models.users import Role, User
from central.office import approvals
from central.office.directory import person_filter
from central.office.schemas import ReturnBatchCreate, VisitorCreate
from central.office.zones import campus_zones, zone_of

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app


# --- visitors --------------------------------------------------------------------------------------


def of_people(person_id: Any, q: str | None) -> list[Any]:
    """Rows whose ``person_id`` column holds one of the people ``q`` names (a name, a phone number,
    the last four ID digits or an address: ``office.directory.person_filter``); no ``q``: every row."""
    who = person_filter(q)
    return [col(person_id).in_(select(Person.id).where(*who))] if who else []


@router.get("/visitors")
def visitors_page(
    request: Request, session: ReadSession, user: Viewer, q: str | None = None, offset: str | None = None
) -> Response:
    """Visitor passes, newest first, a page at a time, with a search (name or phone) and the register form."""
    return visitors(request, session, admit(user, *CONSOLE_ROLES), q, page_offset(offset))


def visitors(
    request: Request, session: Session, viewer: User, q: str | None = None, offset: int = 0, **ctx: Any
) -> Response:
    """The visitors page."""
    cond = [Pass.kind == "VISITOR", *of_people(Pass.person_id, q)]
    found = page_of(session, Pass, cond, order=col(Pass.id).desc(), limit=PAGE, offset=offset)
    return render(
        request,
        "visitors.html",
        viewer,
        q=q,
        rows=found.data,
        names=person_names(session, {p.person_id for p in found.data}),
        campuses=campus_names(session),
        zones=campus_zones(session),
        can_add=viewer.may(Role.SECURITY),
        **pager(offset, found.count, q=q),
        **ctx,
    )


def _local_instant(value: str | None, zone: ZoneInfo) -> str | None:
    # a datetime-local field has no offset: it is the campus's time, which the card prints it in
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value  # let the schema say what is wrong with it
    return (at if at.tzinfo else at.replace(tzinfo=zone)).isoformat()


def _zone(session: Session, campus_id: str | None) -> ZoneInfo:
    # an unknown campus: the office's clock, and the schema or the office says what is wrong with it
    try:
        return campus_zones(session).get(int(campus_id or ""), zone_of(None))
    except ValueError:
        return zone_of(None)


@router.post("/visitors")
async def visitor_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Register a visitor and issue the one-time pass, as ``POST /api/v1/visitors``."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    zone = _zone(session, form.get("campus_id"))
    data = {**form, **{k: _local_instant(form.get(k), zone) for k in ("valid_from", "valid_until")}}
    return submit(
        session,
        lambda: approvals.register_visitor(session, actor=viewer, body=VisitorCreate.model_validate(data)),
        again=lambda **why: visitors(request, session, viewer, form=form, **why),
        done_at=lambda x: ("/console/visitors", "visitor_added", {"id": x.id}),
    )


# --- return batches --------------------------------------------------------------------------------


@router.get("/batches")
def batches_page(
    request: Request, session: ReadSession, user: Viewer, q: str | None = None, offset: str | None = None
) -> Response:
    """Students' return windows, newest first, a page at a time, with a search (the student) and the
    add form."""
    return batches(request, session, admit(user, *CONSOLE_ROLES), q, page_offset(offset))


def batches(
    request: Request, session: Session, viewer: User, q: str | None = None, offset: int = 0, **ctx: Any
) -> Response:
    """The return batches page."""
    cond = of_people(ReturnBatch.person_id, q)
    found = page_of(session, ReturnBatch, cond, order=col(ReturnBatch.id).desc(), limit=PAGE, offset=offset)
    return render(
        request,
        "batches.html",
        viewer,
        q=q,
        rows=found.data,
        names=person_names(session, {b.person_id for b in found.data}),
        can_add=viewer.may(Role.SECURITY),
        **pager(offset, found.count, q=q),
        **ctx,
    )


@router.post("/batches")
async def batch_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Give a student a return window, as ``POST /api/v1/return-batches``."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    return submit(
        session,
        lambda: approvals.create_batch(session, actor=viewer, body=ReturnBatchCreate.model_validate(form)),
        again=lambda **why: batches(request, session, viewer, form=form, **why),
        done_at=lambda x: ("/console/batches", "batch_added", {"id": x.id}),
    )
