"""Routes for daily reports: list, read, PDF and CSV, director sign-off, correction; thin over central.office.reports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from central.api.auth import require_roles
from central.api.deps import WATCHERS, IdFilter, ReadSession, ReportSigner, ReportWriter, RowId
from central.models.base import Day
from central.models.db import session_scope
from central.models.registry import Campus
from central.models.reports import DailyReport
from central.office import reports
from central.office.errors import NotFound
from central.office.reports_render import to_csv, to_pdf
from central.office.zones import zone_of

router = APIRouter(prefix="/api/v1", tags=["reports"])
Reader = Depends(require_roles(*WATCHERS))


class ReportPublic(BaseModel):
    """One version of a report."""

    id: int
    campus_id: int
    day: date
    kind: str
    version: int
    supersedes_id: int | None
    period_start: datetime
    period_end: datetime
    made_at: datetime
    log_seq: int | None  # the entry log's last seq when it was made (null: made before it was kept)
    late: bool
    zero: bool
    content: dict[str, Any]
    content_hash: str
    note: str | None
    made_by: str | None  # who made this version by hand or as a correction; null: the scheduler
    signed_by: str | None
    signed_at: datetime | None
    arrived_after: int = 0  # log rows of its window received after it was made: a correction counts them

    @classmethod
    def of(cls, row: DailyReport, arrived: dict[int, int] | None = None) -> ReportPublic:
        """From a table row (``arrived``: :func:`reports.arrived_after` of it)."""
        late = (arrived or {}).get(int(row.id or 0), 0)
        return cls(**row.model_dump(exclude={"content_json"}), content=row.content, arrived_after=late)


class CorrectionCreate(BaseModel):
    """Why a signed report is corrected."""

    note: str


def _get(session: Session, report_id: int) -> DailyReport:
    row = session.get(DailyReport, report_id)
    if row is None:
        raise NotFound(f"no report {report_id}")
    return row


@router.get("/reports", response_model=list[ReportPublic], dependencies=[Reader])
def list_reports(
    session: ReadSession, campus_id: IdFilter = None, day: Day | None = None
) -> list[ReportPublic]:
    """Reports newest first."""
    stmt = select(DailyReport)
    if campus_id is not None:
        stmt = stmt.where(DailyReport.campus_id == campus_id)
    if day is not None:
        stmt = stmt.where(DailyReport.day == day)
    rows = list(session.exec(stmt.order_by(col(DailyReport.id).desc()).limit(200)))
    arrived = reports.arrived_after(session, rows)
    return [ReportPublic.of(r, arrived) for r in rows]


@router.get("/reports/{report_id:int}", response_model=ReportPublic, dependencies=[Reader])
def get_report(session: ReadSession, report_id: RowId) -> ReportPublic:
    """One report version."""
    row = _get(session, report_id)
    return ReportPublic.of(row, reports.arrived_after(session, [row]))


@router.get("/reports/{report_id}.{fmt}", dependencies=[Reader])
def report_file(session: ReadSession, report_id: RowId, fmt: str) -> Response:
    """The report as ``pdf`` or ``csv``."""
    row = _get(session, report_id)
    campus = session.get(Campus, row.campus_id)
    name = campus.name_zh if campus else str(row.campus_id)
    zone = zone_of(campus).key  # for reports made before they recorded their own
    filename = f"report-{row.campus_id}-{row.day.isoformat()}-{row.kind}-v{row.version}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "pdf":
        return Response(to_pdf(row, name, zone), media_type="application/pdf", headers=headers)
    if fmt == "csv":
        return Response(to_csv(row, name, zone), media_type="text/csv; charset=utf-8", headers=headers)
    raise NotFound(f"no format {fmt!r}: pdf or csv")


@router.post("/reports/{report_id}/sign", response_model=ReportPublic)
def sign(request: Request, user: ReportSigner, report_id: RowId) -> ReportPublic:
    """Sign-off by a director; 409 when already signed."""
    with session_scope(request.app.state.engine) as session:
        return ReportPublic.of(reports.sign(session, report_id, by=user.username, at=datetime.now(UTC)))


@router.post("/reports/{report_id}/corrections", response_model=ReportPublic, status_code=201)
def correct(request: Request, user: ReportWriter, report_id: RowId, body: CorrectionCreate) -> ReportPublic:
    """A new version recounted now that refers to this one (which stays unchanged)."""
    with session_scope(request.app.state.engine) as session:
        return ReportPublic.of(
            reports.correct(session, report_id, by=user.username, at=datetime.now(UTC), note=body.note)
        )
