"""Fever alerts: the list, newest first, and acknowledging one (it leaves every open console)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from sqlmodel import col, select

from central.api.deps import Acker, Limit, Offset, ReadSession, RowId, Watcher
from central.api.schemas import FeverAlertPublic
from central.models.db import session_scope
from central.models.journal import FeverAlert
from central.office import dashboard
from central.office.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["fever alerts"])


@router.get("/fever-alerts", response_model=list[FeverAlertPublic])
def fever_alerts(
    session: ReadSession, user: Watcher, unacknowledged: bool = False, limit: Limit = 50, offset: Offset = 0
) -> list[FeverAlertPublic]:
    """Fever alerts, newest first."""
    stmt = select(FeverAlert)
    if unacknowledged:
        stmt = stmt.where(col(FeverAlert.acknowledged_at).is_(None))
    rows = session.exec(stmt.order_by(col(FeverAlert.id).desc()).offset(offset).limit(limit))
    return [FeverAlertPublic.of(r) for r in rows]


@router.post("/fever-alerts/{alert_id}/ack", status_code=204)
def ack(request: Request, user: Acker, alert_id: RowId) -> Response:
    """Acknowledge a fever alert: it leaves every open console."""
    with session_scope(request.app.state.engine) as session:
        if not dashboard.acknowledge(session, alert_id, datetime.now(UTC), by=user.username):
            raise NotFound(f"no fever alert {alert_id}")
    return Response(status_code=204)
