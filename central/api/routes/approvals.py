"""Registry API: staff approvals (requested by the office, decided by an approver), return batches,
visitors with their one-time pass, vehicles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from sqlmodel import col, func, select

from central.api.auth import Role, User, require_roles
from central.api.deps import (
    IdFilter,
    Limit,
    Offset,
    ReadSession,
    RowId,
    WriteSession,
    get_or_404,
    record_change,
    refuse,
)
from central.api.routes.registry import READERS, Office, Reader, add_person
from central.models.base import contains_text
from central.models.registry import Approval, Campus, Household, Pass, Person, ReturnBatch, Vehicle
from central.office.schemas import (
    ApprovalCreate,
    ApprovalPublic,
    Page,
    PassPublic,
    PersonCreate,
    ReturnBatchCreate,
    ReturnBatchPublic,
    VehicleCreate,
    VehiclePublic,
    VisitorCreate,
)

Approver = Annotated[User, Depends(require_roles(Role.APPROVER))]
router = APIRouter(prefix="/api/v1", tags=["approvals"])


@router.get("/approvals", response_model=Page[ApprovalPublic])
def list_approvals(
    session: ReadSession,
    user: Reader,
    status_: Annotated[str | None, Query(alias="status")] = None,
    person_id: IdFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ApprovalPublic]:
    """Approvals, filtered by status (requested, approved, rejected) and person."""
    cond = []
    if status_:
        cond.append(col(Approval.status) == status_)
    if person_id is not None:
        cond.append(col(Approval.person_id) == person_id)
    total = session.exec(select(func.count()).select_from(Approval).where(*cond)).one()
    rows = session.exec(
        select(Approval).where(*cond).order_by(col(Approval.id).desc()).offset(offset).limit(limit)
    )
    return Page(data=[ApprovalPublic.model_validate(r, from_attributes=True) for r in rows], count=total)


@router.post("/approvals", response_model=ApprovalPublic, status_code=status.HTTP_201_CREATED)
def request_approval(body: ApprovalCreate, session: WriteSession, user: Office) -> Approval:
    """The office asks an approver to let a staff member or contractor in."""
    get_or_404(session, Person, body.person_id, "person")
    approval = Approval(**body.model_dump(), approved_by="", status="requested", requested_by=user.username)
    session.add(approval)
    session.flush()
    record_change(session, user, "create", "approval", approval.id, person_id=body.person_id)
    session.commit()
    return approval


def decide(session: WriteSession, approval_id: int, user: User, verdict: str) -> Approval:
    """Approve or reject a pending request (409 if it was already decided)."""
    approval = get_or_404(session, Approval, approval_id, "approval")
    if approval.status != "requested":
        raise refuse(409, f"approval {approval_id} is already {approval.status}")
    approval.status = verdict
    approval.approved_by = user.username
    approval.decided_at = datetime.now(UTC)
    session.add(approval)
    record_change(session, user, "approve" if verdict == "approved" else "reject", "approval", approval_id)
    session.commit()
    return approval


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalPublic)
def approve(approval_id: RowId, session: WriteSession, user: Approver) -> Approval:
    """Approve (approver role only)."""
    return decide(session, approval_id, user, "approved")


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalPublic)
def reject(approval_id: RowId, session: WriteSession, user: Approver) -> Approval:
    """Reject (approver role only)."""
    return decide(session, approval_id, user, "rejected")


@router.get("/return-batches", response_model=list[ReturnBatchPublic])
def list_batches(session: ReadSession, user: Reader, person_id: IdFilter = None) -> list[ReturnBatch]:
    """Students' return windows."""
    stmt = select(ReturnBatch).order_by(col(ReturnBatch.id))
    if person_id is not None:
        stmt = stmt.where(ReturnBatch.person_id == person_id)
    return list(session.exec(stmt))


@router.post("/return-batches", response_model=ReturnBatchPublic, status_code=status.HTTP_201_CREATED)
def create_batch(body: ReturnBatchCreate, session: WriteSession, user: Office) -> ReturnBatch:
    """Give a student a return window."""
    person = get_or_404(session, Person, body.person_id, "person")
    if person.category not in ("STUDENT", "INTL_STUDENT"):
        raise refuse(422, f"person {body.person_id} is not a student")
    batch = ReturnBatch(**body.model_dump())
    session.add(batch)
    session.flush()
    record_change(session, user, "create", "return_batch", batch.id, person_id=body.person_id)
    session.commit()
    return batch


@router.post("/visitors", response_model=PassPublic, status_code=status.HTTP_201_CREATED)
def register_visitor(body: VisitorCreate, session: WriteSession, user: Office) -> Pass:
    """Register a visitor and issue their one-time pass for the visit window."""
    get_or_404(session, Campus, body.campus_id, "campus")
    if body.household_id is not None:
        household = get_or_404(session, Household, body.household_id, "household")
        if household.campus_id != body.campus_id:
            raise refuse(422, "the household is on another campus")
    person = add_person(session, PersonCreate(name=body.name, category="visitor", phone=body.phone))
    assert person.id is not None
    visit = Pass(
        person_id=person.id,
        kind="VISITOR",
        campus_id=body.campus_id,
        household_id=body.household_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    session.add(visit)
    session.flush()
    record_change(session, user, "create", "visitor", person.id, pass_id=visit.id)
    session.commit()
    return visit


@router.get("/vehicles", response_model=list[VehiclePublic])
def list_vehicles(
    session: ReadSession,
    user: Annotated[User, Depends(require_roles(*READERS, Role.GUARD))],
    plate: str | None = None,
) -> list[Vehicle]:
    """Registered vehicles, optionally by plate fragment."""
    stmt = select(Vehicle).order_by(col(Vehicle.id))
    if plate:
        stmt = stmt.where(contains_text(col(Vehicle.plate), plate.upper()))
    return list(session.exec(stmt))


@router.post("/vehicles", response_model=VehiclePublic, status_code=status.HTTP_201_CREATED)
def create_vehicle(body: VehicleCreate, session: WriteSession, user: Office) -> Vehicle:
    """Register a vehicle."""
    get_or_404(session, Person, body.owner_person_id, "person")
    plate = body.plate.strip().upper()
    if session.exec(select(Vehicle).where(Vehicle.plate == plate)).first():
        raise refuse(409, f"vehicle {plate} is registered")
    vehicle = Vehicle(plate=plate, owner_person_id=body.owner_person_id, valid_until=body.valid_until)
    session.add(vehicle)
    session.flush()
    record_change(session, user, "create", "vehicle", vehicle.id)
    session.commit()
    return vehicle
