"""Route for the bulk import: upload a CSV or XLSX, dry run or all-or-nothing import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from central.api.deps import OfficeUser, WriteSession
from central.office.imports import run_import

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
MAX_BYTES = 20 * 1024 * 1024


@router.post("/people")
async def import_file(
    session: WriteSession,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Households and people from a CSV or XLSX; a dry run (the default) only reports."""
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, detail="file larger than 20 MB")
    body = run_import(session, actor=user, filename=file.filename or "upload.csv", data=data, dry_run=dry_run)
    if body["applied"]:
        session.commit()
    return JSONResponse(body, status_code=422 if body["refused"] else 200)
