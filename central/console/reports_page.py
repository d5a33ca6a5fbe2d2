"""The daily reports in the console: the list, make one now, a correction, the director's sign-off,
and the PDF/CSV downloads (``GET /api/v1/reports/{id}.pdf|csv``, which the session cookie opens)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session, col

from central.api.deps import (
    REPORT_SIGNERS,
    REPORT_WRITERS,
    WATCHERS,
    IdField,
    IdFilter,
    ReadSession,
    RowId,
    WriteSession,
    page_of,
)
from central.console.i18n import message
from central.console.web import (
    PAGE,
    Viewer,
    admit,
    campus_names,
    done,
    form_of,
    page_offset,
    pager,
    refusal,
    render,
)
from central.models.reports import DailyReport
from central.models.users import User
from central.office import reports
from central.office.errors import OfficeError
from central.office.windows import parse_day
from central.office.zones import campus_zone

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app


@router.get("/reports")
def reports_page(
    request: Request,
    session: ReadSession,
    user: Viewer,
    campus_id: IdFilter = None,
    offset: str | None = None,
) -> Response:
    """A campus's reports, newest first, a page at a time, with what the user may do with each."""
    return listing(request, session, admit(user, *WATCHERS), campus_id, offset=page_offset(offset))


def listing(
    request: Request,
    session: Session,
    viewer: User,
    campus_id: int | None = None,
    *,
    offset: int = 0,
    **ctx: Any,
) -> Response:
    """The reports page of one campus (the first by default)."""
    campuses = campus_names(session)
    if campus_id is None and campuses:
        campus_id = next(iter(campuses))
    cond = [DailyReport.campus_id == campus_id]
    found = page_of(session, DailyReport, cond, order=col(DailyReport.id).desc(), limit=PAGE, offset=offset)
    rows = found.data
    superseded = reports.superseded(session, rows)
    return render(
        request,
        "reports.html",
        viewer,
        campuses=campuses,
        campus_id=campus_id,
        zone=campus_zone(session, campus_id),  # made and signed in the campus's clock, named
        rows=rows,
        superseded=superseded,
        arrived=reports.arrived_after(session, rows),
        can_write=viewer.may(*REPORT_WRITERS),
        can_sign=viewer.may(*REPORT_SIGNERS),
        today=_today(session, campus_id),
        **pager(offset, found.count, campus_id=campus_id),
        **ctx,
    )


@router.post("/reports")
async def make_now(
    request: Request, session: WriteSession, user: Viewer, campus_id: IdField = None
) -> Response:
    """Make an office report now: the campus's today by default, or a day of the year before; the
    scheduler still makes today's whole report at the due time."""
    viewer = admit(user, *REPORT_WRITERS)
    form = await form_of(request)
    campus_id = campus_id or 0  # none given: "no campus 0", as any unknown one
    try:
        day = parse_day(form["day"]) if form.get("day") else None
        made = reports.make_by_hand(session, campus_id, day, datetime.now(UTC), by=viewer.username)
    except (OfficeError, ValueError) as exc:
        return listing(request, session, viewer, campus_id or None, **_refused(exc))
    session.commit()
    return done(f"/console/reports?campus_id={campus_id}", "report_made", id=made.id, version=made.version)


@router.post("/reports/{report_id}/{action}")
async def act(
    report_id: RowId, action: str, request: Request, session: WriteSession, user: Viewer
) -> Response:
    """``sign`` (the director) or ``correct`` (with a note: a new version recounted now)."""
    viewer = admit(user, *(REPORT_SIGNERS if action == "sign" else REPORT_WRITERS))
    form = await form_of(request)
    row = session.get(DailyReport, report_id)
    campus_id = row.campus_id if row else None
    values: dict[str, object]
    try:
        if action == "sign":
            reports.sign(session, report_id, by=viewer.username, at=datetime.now(UTC))
            said, values = "report_sign", {"id": report_id}
        elif action == "correct":
            made = reports.correct(
                session, report_id, by=viewer.username, at=datetime.now(UTC), note=form.get("note") or ""
            )
            said, values = "report_correct", {"id": made.id, "version": made.version}
        else:
            raise ValueError(f"no action {action!r}")
    except (OfficeError, ValueError) as exc:
        return listing(request, session, viewer, campus_id, **_refused(exc))
    session.commit()
    return done(f"/console/reports?campus_id={campus_id}", said, **values)


def _today(session: Session, campus_id: int | None) -> str:
    """The day the make-now form offers: the campus's own today (the office's for an unknown campus, and
    for a zone the database lacks, whose report is refused, saying why, when made)."""
    return datetime.now(campus_zone(session, campus_id)).date().isoformat()


def _refused(exc: OfficeError | ValueError) -> dict[str, Any]:
    """The page again with why it was refused, under the refusal's status (a bad form field: 422)."""
    if isinstance(exc, OfficeError):
        return refusal(exc) | {"status_code": exc.status}
    return {"error": message(str(exc)), "status_code": 422}
