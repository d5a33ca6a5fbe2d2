"""Route for the bulk import: upload a CSV or XLSX, dry run or all-or-nothing import."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from central.api.deps import WriteSession, record_change, refuse
from central.api.routes.registry import Office
from central.office.imports import ImportFileError, import_people

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
MAX_BYTES = 20 * 1024 * 1024


def run_import(
    session: WriteSession, user: Any, filename: str, data: bytes, dry_run: bool
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, report) of an import; commits only a clean, real import."""
    try:
        report = import_people(session, filename, data, dry_run=dry_run)
    except ImportFileError as exc:
        return 422, {"detail": str(exc), "errors": [], "applied": False}
    if report.applied:
        record_change(
            session,
            user,
            "import",
            "person",
            "-",
            households=report.households_new,
            people=report.people_new,
            file=filename,
        )
        session.commit()
    body = asdict(report)
    return (422 if report.errors and not dry_run else 200), body


@router.post("/people")
async def import_file(
    session: WriteSession,
    user: Office,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Households and people from a CSV or XLSX; a dry run (the default) only reports."""
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise refuse(413, "file larger than 20 MB")
    code, body = run_import(session, user, file.filename or "upload.csv", data, dry_run)
    return JSONResponse(body, status_code=code)
