"""GET /api/v1/conflicts: entry-log rows where a gate's offline decision disagreed with central
(e.g. two members of one household admitted offline at two gates), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from central.auth import Role, require_roles
from central.console_models import ReadSession
from central.models_log import EntryEvent

router = APIRouter(
    prefix="/api/v1",
    tags=["conflicts"],
    # the director sees them on the dashboard and signs the report that counts them
    dependencies=[Depends(require_roles(Role.AUDITOR, Role.SECURITY, Role.DIRECTOR))],
)


def flagged(
    session: Session, *, gate_id: str | None = None, limit: int = 50, offset: int = 0
) -> list[EntryEvent]:
    """Entry-log rows flagged with a conflict, newest first: the one query the API and dashboard share."""
    stmt = select(EntryEvent).where(col(EntryEvent.conflict).is_not(None))
    if gate_id is not None:
        stmt = stmt.where(EntryEvent.gate_id == gate_id)
    return list(session.exec(stmt.order_by(col(EntryEvent.seq).desc()).offset(offset).limit(limit)))


def count_flagged(session: Session, *, since: datetime) -> int:
    """How many conflicts central flagged (received) since ``since``."""
    stmt = (
        select(func.count())
        .select_from(EntryEvent)
        .where(col(EntryEvent.conflict).is_not(None), col(EntryEvent.received_at) >= since)
    )
    return int(session.exec(stmt).one())


class ConflictPublic(BaseModel):
    """One flagged reconciliation: what the gate did offline beside what central decided."""

    seq: int
    kind: str
    event_id: str
    of_event: str | None
    gate_id: str
    household_id: int | None
    person_id: int | None
    gate_time: datetime
    received_at: datetime
    verdict: str
    reason: str
    offline_verdict: str | None
    offline_reason: str | None
    conflict: str


@router.get("/conflicts", response_model=list[ConflictPublic])
def conflicts(
    session: ReadSession,
    gate_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConflictPublic]:
    """Rows flagged with a conflict, newest first."""
    rows = flagged(session, gate_id=gate_id, limit=limit, offset=offset)
    return [ConflictPublic.model_validate(r, from_attributes=True) for r in rows]
