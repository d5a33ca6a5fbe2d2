"""Nucleic-acid testing routes: import the testing site's results; who is due or overdue per campus."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from central.api.deps import (
    IdField,
    OfficeUser,
    ReadSession,
    RegistryReader,
    RowId,
    WriteSession,
    publish_all,
)
from central.models.registry import Campus
from central.office import nucleic
from central.office.errors import must_get
from central.office.import_limits import UPLOAD_TOO_LARGE, read_upload
from central.office.nucleic_import import run_test_import
from central.office.registry import latest_policy

router = APIRouter(prefix="/api/v1", tags=["nucleic"])
STATES = "^(overdue|never|due|current)$"


@router.post("/imports/nucleic-tests")
async def import_tests(
    request: Request,
    session: WriteSession,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
    campus_id: IdField = None,
) -> JSONResponse:
    """Test results from a CSV or XLSX (times are the campus's local time); a dry run (the default) only reports."""
    if (data := await read_upload(file)) is None:
        raise HTTPException(413, detail=UPLOAD_TOO_LARGE)
    body = run_test_import(
        session,
        actor=user,
        filename=file.filename or "upload.csv",
        data=data,
        dry_run=dry_run,
        campus_id=campus_id,
    )
    if body["applied"]:
        session.commit()
        publish_all(request, session)  # offline gates hold the latest negative results
    return JSONResponse(body, status_code=422 if body["refused"] else 200)


@router.get("/campuses/{campus_id}/nucleic-due")
def nucleic_due(
    campus_id: RowId,
    session: ReadSession,
    user: RegistryReader,
    state: Annotated[str | None, Query(pattern=STATES)] = None,
) -> dict[str, Any]:
    """Kept-in people of a campus and their testing state (overdue, never tested, due within a day, current)."""
    must_get(session, Campus, campus_id, "campus")
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
