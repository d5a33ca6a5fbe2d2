"""Console pages for approvals (approve button for approvers) and passes (issue, PDF, revoke)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session, col

from central.api.deps import (
    CONSOLE_ROLES,
    IdFilter,
    ReadSession,
    RowId,
    WriteSession,
    page_of,
    publish_campus,
    publish_person,
)
from central.console.web import (
    PAGE,
    Viewer,
    admit,
    done,
    form_of,
    page_offset,
    pager,
    person_names,
    refusal,
    render,
    submit,
)
from central.models.registry import Approval, Pass
from central.models.users import Role, User
from central.office import approvals as office_approvals
from central.office import passes as office_passes
from central.office import people as office_people
from central.office.errors import NotFound, OfficeError
from central.office.schemas import ApprovalCreate, PassCreate
from central.office.zones import campus_zones

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app


@router.get("/approvals")
def approvals_page(
    request: Request,
    session: ReadSession,
    user: Viewer,
    status: str | None = None,
    offset: str | None = None,
) -> Response:
    """Approval requests, newest first, 50 a page (``status=requested``: those waiting for a decision)."""
    viewer = admit(user, *CONSOLE_ROLES)
    return approvals(request, session, viewer, status=status or None, offset=page_offset(offset))


def approvals(
    request: Request, session: Session, viewer: User, status: str | None = None, offset: int = 0, **ctx: Any
) -> Response:
    """The approvals page."""
    cond = [Approval.status == status] if status else []
    found = page_of(session, Approval, cond, order=col(Approval.id).desc(), limit=PAGE, offset=offset)
    ctx = {**pager(offset, found.count, status=status), **ctx}
    return render(
        request,
        "approvals.html",
        viewer,
        status=status,
        statuses=["requested", "approved", "rejected"],
        rows=found.data,
        names=person_names(session, {a.person_id for a in found.data}),
        can_decide=viewer.may(Role.APPROVER),
        can_request=viewer.may(Role.SECURITY),
        **ctx,
    )


@router.post("/approvals")
async def request_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """The office requests an approval."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    return submit(
        session,
        lambda: office_approvals.request_approval(
            session, actor=viewer, body=ApprovalCreate.model_validate(form)
        ),
        again=lambda **why: approvals(request, session, viewer, form=form, **why),
        done_at=lambda _: ("/console/approvals", "approval_requested", {}),
    )


@router.post("/approvals/{approval_id}/{verdict}")
def decide_form(
    approval_id: RowId, verdict: str, request: Request, session: WriteSession, user: Viewer
) -> Response:
    """An approver approves, rejects, or withdraws an approval granted earlier."""
    viewer = admit(user, Role.APPROVER)
    if verdict not in ("approve", "reject", "withdraw"):
        raise HTTPException(404, detail=f"no action {verdict!r}")
    try:
        if verdict == "withdraw":
            approval = office_approvals.withdraw(session, actor=viewer, approval_id=approval_id)
        else:
            approval = office_approvals.decide(
                session,
                actor=viewer,
                approval_id=approval_id,
                verdict="approved" if verdict == "approve" else "rejected",
            )
    except OfficeError as exc:
        return approvals(request, session, viewer, **refusal(exc))
    session.commit()
    publish_person(request, session, approval.person_id)
    return done("/console/approvals", f"approval_{verdict}")


@router.get("/passes")
def passes_page(
    request: Request,
    session: ReadSession,
    user: Viewer,
    person_id: IdFilter = None,
    offset: str | None = None,
) -> Response:
    """Passes, optionally of one person, 50 a page."""
    return passes(request, session, admit(user, *CONSOLE_ROLES), person_id, page_offset(offset))


def passes(
    request: Request,
    session: Session,
    viewer: User,
    person_id: int | None = None,
    offset: int = 0,
    **ctx: Any,
) -> Response:
    """The passes page."""
    cond = [Pass.person_id == person_id] if person_id is not None else []
    found = page_of(session, Pass, cond, order=col(Pass.id).desc(), limit=PAGE, offset=offset)
    names = person_names(session, {p.person_id for p in found.data})
    ctx = {**pager(offset, found.count, person_id=person_id), **ctx}
    zones = campus_zones(session)
    return render(
        request, "passes.html", viewer, rows=found.data, names=names, person_id=person_id, zones=zones, **ctx
    )


@router.post("/passes")
async def issue_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Issue passes for a person or a household; the dates are whole local days of the campus, the
    second the last valid one (central.office.windows)."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    return submit(
        session,
        lambda: office_passes.issue(session, actor=viewer, body=PassCreate.model_validate(form)),
        again=lambda **why: passes(request, session, viewer, form=form, **why),
        done_at=lambda issued: (
            "/console/passes",
            "passes_issued",
            {"n": len(issued), "ids": _id_range([p.id for p in issued if p.id is not None])},
        ),
    )


@router.post("/passes/{pass_id}/revoke")
def revoke_form(pass_id: RowId, request: Request, session: WriteSession, user: Viewer) -> Response:
    """Revoke a pass; its campus's gates get the new revocation list."""
    viewer = admit(user, Role.SECURITY)
    try:
        revoked = office_passes.revoke(session, actor=viewer, pass_id=pass_id)
    except OfficeError as exc:
        return passes(request, session, viewer, **refusal(exc))
    session.commit()
    publish_campus(request, session, revoked.campus_id)
    return done("/console/passes", "pass_revoked", id=pass_id)


@router.post("/passes/{pass_id}/phone-link")
def phone_link_form(pass_id: RowId, request: Request, session: WriteSession, user: Viewer) -> Response:
    """The holder's personal phone-pass link, to send to their phone (made on first request)."""
    viewer = admit(user, Role.SECURITY)
    row = session.get(Pass, pass_id)
    try:
        if row is None or row.form != "PHONE":
            raise NotFound(f"pass {pass_id} not found")
        secret = office_people.phone_link_secret(session, actor=viewer, person_id=row.person_id)
    except OfficeError as exc:
        return passes(request, session, viewer, **refusal(exc))
    session.commit()
    return done("/console/passes", "phone_link", url=str(request.base_url).rstrip("/") + f"/p/{secret}")


def _id_range(ids: list[int]) -> str:
    """``#5`` or ``#5–#9`` (a campus at once issues hundreds; the confirmation stays short)."""
    if not ids:
        return ""
    return f"#{ids[0]}" if len(ids) == 1 else f"#{min(ids)}–#{max(ids)}"
