"""GET /api/v1/conflicts: entry-log rows where a gate's offline decision disagreed with central
(e.g. two members of one household admitted offline at two gates), newest first."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from central.api.auth import require_roles
from central.api.deps import CONFLICT_READERS, Limit, Offset, ReadSession
from central.audit.conflicts import flagged

router = APIRouter(
    prefix="/api/v1",
    tags=["conflicts"],
    # the director sees them on the dashboard and signs the report that counts them
    dependencies=[Depends(require_roles(*CONFLICT_READERS))],
)


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
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ConflictPublic]:
    """Rows flagged with a conflict, newest first."""
    rows = flagged(session, gate_id=gate_id, limit=limit, offset=offset)
    return [ConflictPublic.model_validate(r, from_attributes=True) for r in rows]
