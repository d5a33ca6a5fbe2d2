"""Route for the bulk import: upload a CSV or XLSX, dry run or all-or-nothing import.

An import runs in a child process with its own database connection (:func:`run_import_apart`): a
100,000-row file takes seconds of CPU, and in the process that answers the gates it held the GIL
long enough to push decisions from 48 ms to over a second. One child, so imports run one at a time.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlmodel import Session

from central.api.deps import record_change, refuse
from central.api.routes.registry import Office
from central.models.db import make_engine, read_only
from central.office.import_limits import MAX_UPLOAD_BYTES
from central.office.imports import ImportFileError, import_people

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
MAX_BYTES = MAX_UPLOAD_BYTES


@dataclass(frozen=True, slots=True)
class Actor:
    """Who imports, as the change journal records them (picklable, for the child process)."""

    id: int | None
    username: str


def run_import(
    session: Session, user: Any, filename: str, data: bytes, dry_run: bool
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


@cache
def _child_engine(url: str) -> Engine:
    return make_engine(url)


def _import_in_child(
    url: str, actor: Actor, filename: str, data: bytes, dry_run: bool
) -> tuple[int, dict[str, Any]]:
    engine = _child_engine(url)
    # a dry run only reads: a deferred transaction, so that on SQLite the gates' decisions do not
    # queue behind it for the whole check (they timed out at 16 s behind a 40,000-row dry run)
    with Session(read_only(engine) if dry_run else engine, expire_on_commit=False) as session:
        return run_import(session, actor, filename, data, dry_run)


@cache
def _pool() -> ProcessPoolExecutor:
    # spawn, not fork: the parent runs paho's and uvicorn's threads, which a fork would copy mid-flight
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def run_import_apart(
    engine: Engine, user: Any, filename: str, data: bytes, dry_run: bool
) -> tuple[int, dict[str, Any]]:
    """:func:`run_import` in the import process, on its own connection to ``engine``'s database."""
    url = engine.url.render_as_string(hide_password=False)
    actor = Actor(user.id, user.username)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), _import_in_child, url, actor, filename, data, dry_run)


@router.post("/people")
async def import_file(
    request: Request,
    user: Office,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = True,
) -> JSONResponse:
    """Households and people from a CSV or XLSX; a dry run (the default) only reports."""
    data = await file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise refuse(413, f"file larger than {MAX_BYTES // (1024 * 1024)} MB")
    code, body = await run_import_apart(
        request.app.state.engine, user, file.filename or "upload.csv", data, dry_run
    )
    return JSONResponse(body, status_code=code)
