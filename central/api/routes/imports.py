"""Route for the bulk import: upload a CSV or XLSX, dry run or all-or-nothing import.

The import runs apart from the process that answers the gates (``central.office.import_apart``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse

from central.api.deps import OfficeUser
from central.office.import_apart import run_import_apart
from central.office.import_limits import UPLOAD_TOO_LARGE, read_upload

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


@router.post("/people")
async def import_file(
    request: Request,
    user: OfficeUser,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Households and people from a CSV or XLSX; a dry run (the default) only reports."""
    if (data := await read_upload(file)) is None:
        raise HTTPException(413, detail=UPLOAD_TOO_LARGE)
    body = await run_import_apart(
        request.app.state.engine,
        actor=user,
        filename=file.filename or "upload.csv",
        data=data,
        dry_run=dry_run,
    )
    return JSONResponse(body, status_code=422 if body["refused"] else 200)
