"""Console page for nucleic-acid testing: who is due or overdue on a campus, and the results import.

Both call what the API calls (``central.office.nucleic`` and ``run_test_import``), so the page and
``GET /api/v1/campuses/{id}/nucleic-due`` / ``POST /api/v1/imports/nucleic-tests`` cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from central.api.deps import CONSOLE_ROLES, IdField, IdFilter, ReadSession, WriteSession, publish_all
from central.console.web import PAGE, Viewer, admit, chosen_campus, done, page_offset, pager, render
from central.models.users import Role, User
from central.office import nucleic
from central.office.nucleic_import import run_test_import
from central.office.registry import latest_policy
from central.office.zones import campus_zone

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app
STATES = (nucleic.OVERDUE, nucleic.NEVER, nucleic.DUE, nucleic.CURRENT)  # worst first, as the list


@router.get("/nucleic")
def nucleic_page(
    request: Request,
    session: ReadSession,
    user: Viewer,
    campus_id: IdFilter = None,
    state: str | None = None,
    offset: str | None = None,
) -> Response:
    """A campus's kept-in people by testing state, worst first (or those in one state), a page at a
    time, and the import form for the office."""
    viewer = admit(user, *CONSOLE_ROLES)
    return page(request, session, viewer, campus_id, state=state, offset=page_offset(offset))


def page(
    request: Request,
    session: Session,
    viewer: User,
    campus_id: int | None = None,
    *,
    state: str | None = None,
    offset: int = 0,
    **ctx: Any,
) -> Response:
    """The testing page of one campus (the first one by default)."""
    campuses, campus_id = chosen_campus(session, campus_id)
    state = state if state in STATES else None
    rows = nucleic.due_list(session, campus_id=campus_id, now=datetime.now(UTC)) if campus_id else []
    rows = [r for r in rows if state is None or r.state == state]  # a state is worked out in Python
    policy = latest_policy(session, campus_id) if campus_id else None
    return render(
        request,
        "nucleic.html",
        viewer,
        campuses=campuses,
        campus_id=campus_id,
        policy=policy,
        zone=campus_zone(session, campus_id),  # the clock its results were imported in
        rows=rows[offset : offset + PAGE],
        state=state,
        states=STATES,
        can_import=viewer.may(Role.SECURITY),
        headers=nucleic.HEADERS,  # the columns the import form names, as the importer reads them
        **pager(offset, len(rows), campus_id=campus_id, state=state),
        **ctx,
    )


@router.post("/nucleic")
async def nucleic_upload(
    request: Request, session: WriteSession, user: Viewer, campus_id: IdField = None
) -> Response:
    """Check or import a results file, as ``POST /api/v1/imports/nucleic-tests``."""
    viewer = admit(user, Role.SECURITY)
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return page(request, session, viewer, campus_id, status_code=422, errors={"file": "choose a file"})
    report = run_test_import(
        session,
        actor=viewer,
        filename=upload.filename,
        data=await upload.read(),
        dry_run=form.get("dry_run") == "true",
        campus_id=campus_id,
    )
    code = 422 if report["refused"] else 200
    if "detail" in report:
        return page(request, session, viewer, campus_id, status_code=code, error=report["detail"])
    if report["applied"]:  # written: redirect, so that a reload does not send the file again
        session.commit()
        publish_all(request, session)
        return done(
            f"/console/nucleic?campus_id={campus_id or ''}",
            "results_imported",
            new=report["results_new"],
            known=report["already_known"],
        )
    return page(request, session, viewer, campus_id, status_code=code, report=report)
