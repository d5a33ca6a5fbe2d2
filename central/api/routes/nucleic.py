"""Nucleic-acid testing routes: import the testing site's results; who is due or overdue per campus."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlmodel import Session, select

from central.api.deps import ReadSession, WriteSession, get_or_404, publish_campus, record_change, refuse
from central.api.routes.imports import MAX_BYTES
from central.api.routes.registry import Office, Reader
from central.models.registry import Campus
from central.office import nucleic
from central.office.imports import ImportFileError
from central.office.registry import latest_policy

router = APIRouter(prefix="/api/v1", tags=["nucleic"])
STATES = "^(overdue|never|due|current)$"


def run_test_import(
    session: Session, user: Any, filename: str, data: bytes, dry_run: bool, campus_id: int | None
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, report) of a test-result import; commits only a clean, real import."""
    tz = latest_policy(session, campus_id).timezone if campus_id is not None else nucleic.DEFAULT_TZ
    try:
        report = nucleic.import_results(
            session, filename, data, dry_run=dry_run, by=user.username, now=datetime.now(UTC), tz=tz
        )
    except ImportFileError as exc:
        return 422, {"detail": str(exc), "errors": [], "applied": False}
    if report.applied:
        record_change(session, user, "import", "nucleic_test", "-", results=report.results_new, file=filename)
        session.commit()
    return (422 if report.errors and not dry_run else 200), asdict(report)


@router.post("/imports/nucleic-tests")
async def import_tests(
    request: Request,
    session: WriteSession,
    user: Office,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
    campus_id: Annotated[int | None, Form()] = None,
) -> JSONResponse:
    """Test results from a CSV or XLSX (times are the campus's local time); a dry run (the default) only reports."""
    if campus_id is not None:
        get_or_404(session, Campus, campus_id, "campus")
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise refuse(413, "file larger than 20 MB")
    code, body = run_test_import(session, user, file.filename or "upload.csv", data, dry_run, campus_id)
    if body.get("applied"):
        publish_all(request, session)
    return JSONResponse(body, status_code=code)


def publish_all(request: Request, session: Session) -> int:
    """Re-publish every campus's gate configs: offline gates hold the latest negative results."""
    campus_ids = [c for c in session.exec(select(Campus.id)) if c is not None]
    return sum(publish_campus(request, session, campus_id) for campus_id in campus_ids)


@router.get("/campuses/{campus_id}/nucleic-due")
def nucleic_due(
    campus_id: int,
    session: ReadSession,
    user: Reader,
    state: Annotated[str | None, Query(pattern=STATES)] = None,
) -> dict[str, Any]:
    """Kept-in people of a campus and their testing state (overdue, never tested, due within a day, current)."""
    get_or_404(session, Campus, campus_id, "campus")
    policy = latest_policy(session, campus_id)
    rows = nucleic.due_list(session, campus_id=campus_id, now=datetime.now(UTC))
    counts = {
        s: sum(r.state == s for r in rows)
        for s in (nucleic.OVERDUE, nucleic.NEVER, nucleic.DUE, nucleic.CURRENT)
    }
    return {
        "campus_id": campus_id,
        "interval_hours": policy.nat_interval_hours,
        "closed_groups": sorted(policy.closed_groups),
        "counts": counts,
        "data": [asdict(r) for r in rows if state is None or r.state == state],
    }
