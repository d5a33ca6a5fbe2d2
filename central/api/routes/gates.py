"""Gates as the API shows them with their live state (the registry writes are in ``routes.registry``)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import col, select

from central.api.deps import GateReader, IdFilter, ReadSession
from central.api.schemas import GatePublic
from central.models.journal import GateState
from central.models.registry import Gate

router = APIRouter(prefix="/api/v1", tags=["gates"])


@router.get("/gates", response_model=list[GatePublic])
def gates(session: ReadSession, user: GateReader, campus_id: IdFilter = None) -> list[GatePublic]:
    """Every registered gate with its last status (a guard may see which gate is down)."""
    stmt = select(Gate, GateState).join(GateState, col(GateState.gate_id) == Gate.gate_id, isouter=True)
    if campus_id is not None:
        stmt = stmt.where(Gate.campus_id == campus_id)
    return [GatePublic.of(g, s) for g, s in session.exec(stmt.order_by(col(Gate.gate_id)))]
