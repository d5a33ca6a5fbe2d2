"""GET /api/v1/conflicts: entry-log rows where a gate's offline decision disagreed with central
(e.g. two members of one household admitted offline at two gates), newest first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlmodel import Session, col, select

from central.models_log import EntryEvent

from central.auth import Role, require_roles

router = APIRouter(
    prefix="/api/v1", tags=["conflicts"],
    dependencies=[Depends(require_roles(Role.AUDITOR, Role.SECURITY))],
)


def _session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.read_engine) as session:
        yield session


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
    session: Annotated[Session, Depends(_session)],
    gate_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ConflictPublic]:
    """Rows flagged with a conflict, newest first."""
    stmt = select(EntryEvent).where(col(EntryEvent.conflict).is_not(None))
    if gate_id is not None:
        stmt = stmt.where(EntryEvent.gate_id == gate_id)
    rows = session.exec(stmt.order_by(col(EntryEvent.seq).desc()).offset(offset).limit(limit))
    return [ConflictPublic.model_validate(r, from_attributes=True) for r in rows]
