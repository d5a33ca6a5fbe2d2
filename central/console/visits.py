"""Console pages for visitors (registered with their one-time pass) and students' return batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from central.api.deps import CONSOLE_ROLES, ReadSession, WriteSession
from central.console.web import LOCAL, Viewer, admit, campus_names, form_of, person_names, render, submit
from central.models.registry import Pass, Person
from central.models.users import Role, User
from central.office import approvals
from central.office.schemas import ReturnBatchCreate, VisitorCreate

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app


# --- visitors --------------------------------------------------------------------------------------


@router.get("/visitors")
def visitors_page(request: Request, session: ReadSession, user: Viewer) -> Response:
    """Recent visitor passes and the register form."""
    return visitors(request, session, admit(user, *CONSOLE_ROLES))


def visitors(request: Request, session: Session, viewer: User, **ctx: Any) -> Response:
    """The visitors page: the newest visitor passes first."""
    rows = session.exec(
        select(Pass, Person.name)
        .join(Person, col(Person.id) == Pass.person_id)
        .where(Pass.kind == "VISITOR")
        .order_by(col(Pass.id).desc())
        .limit(100)
    )
    return render(
        request,
        "visitors.html",
        viewer,
        rows=list(rows),
        campuses=campus_names(session),
        can_add=viewer.may(Role.SECURITY),
        **ctx,
    )


def _local_instant(value: str | None) -> str | None:
    # a datetime-local field has no offset: it is Beijing time, the office's clock
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value  # let the schema say what is wrong with it
    return (at if at.tzinfo else at.replace(tzinfo=LOCAL)).isoformat()


@router.post("/visitors")
async def visitor_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Register a visitor and issue the one-time pass, as ``POST /api/v1/visitors``."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    data = {**form, **{k: _local_instant(form.get(k)) for k in ("valid_from", "valid_until")}}
    return submit(
        session,
        lambda: approvals.register_visitor(session, actor=viewer, body=VisitorCreate.model_validate(data)),
        again=lambda **why: visitors(request, session, viewer, form=form, **why),
        done_at=lambda x: ("/console/visitors", f"+ #{x.id}"),
    )


# --- return batches --------------------------------------------------------------------------------


@router.get("/batches")
def batches_page(request: Request, session: ReadSession, user: Viewer) -> Response:
    """Students' return windows and the add form."""
    return batches(request, session, admit(user, *CONSOLE_ROLES))


def batches(request: Request, session: Session, viewer: User, **ctx: Any) -> Response:
    """The return batches page."""
    rows = approvals.find_batches(session)
    return render(
        request,
        "batches.html",
        viewer,
        rows=rows,
        names=person_names(session, {b.person_id for b in rows}),
        can_add=viewer.may(Role.SECURITY),
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
        done_at=lambda x: ("/console/batches", f"+ #{x.id}"),
    )
