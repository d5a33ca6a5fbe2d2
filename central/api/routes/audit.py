"""Routes of the audit side: chain verification, entry-log search and CSV export (thin, over services)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlmodel import col, select

from central.api.auth import require_roles
from central.api.deps import AUDITORS, LOG_READERS, Limit, Offset, ReadSession, ordered_window
from central.api.schemas import EntriesPublic, EntryPublic, RejectedPublic
from central.audit import checkpoints as audit_checkpoints
from central.audit import signed
from central.audit.chain import verify
from central.audit.entries import EntryFilter, csv_stream, search
from central.models.journal import RejectedMessage

Auditor = Depends(require_roles(*AUDITORS))
LogReader = Depends(require_roles(*LOG_READERS))


def _filters(filters: Annotated[EntryFilter, Depends(EntryFilter)]) -> EntryFilter:
    ordered_window(filters.since, filters.until)
    return filters


Filters = Annotated[EntryFilter, Depends(_filters)]


class VerifyPublic(BaseModel):
    """The verdict on the entry log's chain and the signed reports (``ok``: both stand as kept)."""

    ok: bool
    seq: int | None
    kind: str | None
    detail: str
    rows: int
    since_seq: int | None
    checkpoints: int
    reports_ok: bool
    report_problems: list[str]  # each signed report changed since a checkpoint named it
    reports_named: int  # signed reports as the checkpoints name them
    reports_pending: int  # signed reports not yet under a checkpoint


api = APIRouter(prefix="/api/v1", tags=["audit"])


def checkpoint_file(request: Request) -> Path:
    """The checkpoint file central appends to (in its data directory)."""
    return audit_checkpoints.default_path(Path(request.app.state.settings.data_dir))


@api.get("/audit/verify", response_model=VerifyPublic, dependencies=[Auditor])
def audit_verify(request: Request, session: ReadSession) -> VerifyPublic:
    """Check the hash chain and the kept checkpoints; name the first damaged row, and every signed report
    changed since a checkpoint named it."""
    try:
        kept = audit_checkpoints.read(checkpoint_file(request))
    except ValueError as exc:
        raise HTTPException(500, detail=f"checkpoint file unreadable: {exc}") from exc
    r = verify(session, kept)
    reports = signed.check(session, kept)
    return VerifyPublic(
        ok=r.ok and reports.ok,
        seq=r.seq,
        kind=r.kind,
        detail=r.detail,
        rows=r.rows,
        since_seq=r.since_seq,
        checkpoints=len(kept),
        reports_ok=reports.ok,
        report_problems=list(reports.problems),
        reports_named=reports.named,
        reports_pending=len(reports.unnamed),
    )


@api.get("/entries", response_model=EntriesPublic, dependencies=[LogReader])
def entries(
    session: ReadSession,
    filters: Filters,
    limit: Limit = 50,
    offset: Offset = 0,
) -> EntriesPublic:
    """The entry log, newest first, narrowed by any of the filters."""
    rows, total = search(session, filters, limit=limit, offset=offset)
    return EntriesPublic(data=[EntryPublic.of(r) for r in rows], count=total)


@api.get("/entries.csv", dependencies=[LogReader])
def entries_csv(request: Request, filters: Filters) -> StreamingResponse:
    """The matching entry log as CSV (UTF-8 with BOM), streamed in batches, oldest first."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        csv_stream(request.app.state.read_engine, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="entries-{stamp}.csv"'},
    )


@api.get("/rejected", response_model=list[RejectedPublic], dependencies=[Auditor])
def rejected(session: ReadSession, limit: Limit = 50, offset: Offset = 0) -> list[RejectedPublic]:
    """Dead letters, newest first."""
    rows = session.exec(
        select(RejectedMessage).order_by(col(RejectedMessage.id).desc()).offset(offset).limit(limit)
    )
    return [RejectedPublic.of(r) for r in rows]


router = api
