"""Route for the bulk import: upload a CSV or XLSX, dry run or all-or-nothing import.

The import runs apart from the process that answers the gates (``central.office.import_apart``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from central.api.deps import OfficeUser
from central.office.import_apart import run_import_apart
from central.office.import_limits import MAX_UPLOAD_BYTES, UPLOAD_TOO_LARGE

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
MAX_BYTES = MAX_UPLOAD_BYTES


@router.post("/people")
async def import_file(
    request: Request,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Households and people from a CSV or XLSX; a dry run (the default) only reports."""
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(413, detail=UPLOAD_TOO_LARGE)
    body = await run_import_apart(
        request.app.state.engine,
        actor=user,
        filename=file.filename or "upload.csv",
        data=data,
        dry_run=dry_run,
    )
    return JSONResponse(body, status_code=422 if body["refused"] else 200)
