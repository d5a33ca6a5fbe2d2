"""Console pages of the registry's people: households, people and the bulk import."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from central.api.deps import CONSOLE_ROLES, ReadSession, WriteSession
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
    render,
    submit,
)
from central.models.users import Role, User
from central.office.directory import find_households, find_people
from central.office.import_apart import run_import_apart
from central.office.import_limits import UPLOAD_TOO_LARGE, read_upload
from central.office.imports import HEADERS
from central.office.people import add_household, add_person
from central.office.schemas import HouseholdCreate, PersonCreate
from gatecore.tokens import PassKind

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app


@router.get("/households")
def households_page(
    request: Request, session: ReadSession, user: Viewer, q: str | None = None, offset: str | None = None
) -> Response:
    """Households with a search box (building-unit-room or label), a pager and the add form."""
    return households(request, session, admit(user, *CONSOLE_ROLES), q, page_offset(offset))


def households(
    request: Request, session: Session, viewer: User, q: str | None = None, offset: int = 0, **ctx: Any
) -> Response:
    """The households page."""
    rows, count = find_households(session, q=q, limit=PAGE, offset=offset)
    return render(
        request,
        "households.html",
        viewer,
        q=q,
        rows=rows,
        campuses=campus_names(session),
        can_add=viewer.may(Role.SECURITY),
        **pager(offset, count, q=q),
        **ctx,
    )


@router.post("/households")
async def add_household_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Add a household, or show the form again with its errors."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    return submit(
        session,
        lambda: add_household(session, actor=viewer, body=HouseholdCreate.model_validate(form)),
        again=lambda **why: households(request, session, viewer, form=form, **why),
        done_at=lambda x: ("/console/households", "household_added", {"label": x.label}),
    )


@router.get("/people")
def people_page(
    request: Request, session: ReadSession, user: Viewer, q: str | None = None, offset: str | None = None
) -> Response:
    """People with a search box (name, building-unit-room, phone, last four ID digits), a pager and
    the add form."""
    return people(request, session, admit(user, *CONSOLE_ROLES), q, page_offset(offset))


def people(
    request: Request, session: Session, viewer: User, q: str | None = None, offset: int = 0, **ctx: Any
) -> Response:
    """The people page."""
    rows, count = find_people(session, q=q, limit=PAGE, offset=offset)
    categories = [k.lower() for k in PassKind.__members__ if k != "VEHICLE"]
    return render(
        request,
        "people.html",
        viewer,
        q=q,
        rows=rows,
        categories=categories,
        can_add=viewer.may(Role.SECURITY),
        **pager(offset, count, q=q),
        **ctx,
    )


@router.post("/people")
async def add_person_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Add a person, or show the form again with its errors."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    return submit(
        session,
        lambda: add_person(session, actor=viewer, body=PersonCreate.model_validate(form)),
        again=lambda **why: people(request, session, viewer, form=form, **why),
        done_at=lambda x: ("/console/people", "person_added", {"id": x.id}),
    )


def _import_page(request: Request, viewer: User, **ctx: Any) -> Response:
    """The import page; its column list is the importer's own headers."""
    return render(request, "import.html", viewer, headers=HEADERS, **ctx)


@router.get("/import")
def import_page(request: Request, user: Viewer) -> Response:
    """The import form."""
    return _import_page(request, admit(user, Role.SECURITY))


@router.post("/import")
async def import_upload(request: Request, user: Viewer) -> Response:
    """Run a dry run or an import and show the report."""
    viewer = admit(user, Role.SECURITY)
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _import_page(request, viewer, status_code=422, error=message("choose a file"))
    if (data := await read_upload(upload)) is None:
        return _import_page(request, viewer, status_code=413, error=message(UPLOAD_TOO_LARGE))
    report = await run_import_apart(
        request.app.state.engine,
        actor=viewer,
        filename=upload.filename,
        data=data,
        dry_run=form.get("dry_run") == "true",
    )
    code = 422 if report["refused"] else 200
    if "detail" in report:
        return _import_page(request, viewer, status_code=code, error=message(report["detail"]))
    if report["applied"]:  # written (in the import process): redirect, so a reload does not send it again
        # its notes (a column not read) do not fit the redirect: their number does, and where to see them
        notes = {"notes": len(report["warnings"])} if report["warnings"] else {}
        said = "people_imported_noted" if notes else "people_imported"
        return done(
            "/console/import", said, households=report["households_new"], people=report["people_new"], **notes
        )
    return _import_page(request, viewer, status_code=code, report=report)
