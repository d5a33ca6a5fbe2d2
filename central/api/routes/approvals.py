"""Registry API: staff approvals (requested by the office, decided by an approver), return batches,
visitors with their one-time pass, vehicles (thin, over central.office.approvals)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlmodel import col

from central.api.deps import (
    ApproverUser,
    IdFilter,
    Limit,
    OfficeUser,
    Offset,
    ReadSession,
    RegistryGlancer,
    RegistryReader,
    RowId,
    WriteSession,
    page_of,
    publish_person,
)
from central.models.registry import Approval, Pass, ReturnBatch, Vehicle
from central.office import approvals
from central.office.schemas import (
    ApprovalCreate,
    ApprovalPublic,
    Page,
    PassPublic,
    ReturnBatchCreate,
    ReturnBatchPublic,
    VehicleCreate,
    VehiclePublic,
    VisitorCreate,
)

router = APIRouter(prefix="/api/v1", tags=["approvals"])


@router.get("/approvals", response_model=Page[ApprovalPublic])
def list_approvals(
    session: ReadSession,
    user: RegistryReader,
    status_: Annotated[str | None, Query(alias="status")] = None,
    person_id: IdFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ApprovalPublic]:
    """Approvals, filtered by status (requested, approved, rejected, withdrawn) and person."""
    cond = []
    if status_:
        cond.append(col(Approval.status) == status_)
    if person_id is not None:
        cond.append(col(Approval.person_id) == person_id)
    return page_of(
        session, Approval, cond, ApprovalPublic, order=col(Approval.id).desc(), limit=limit, offset=offset
    )


@router.post("/approvals", response_model=ApprovalPublic, status_code=status.HTTP_201_CREATED)
def request_approval(body: ApprovalCreate, session: WriteSession, user: OfficeUser) -> Approval:
    """The office asks an approver to let a staff member or contractor in."""
    approval = approvals.request_approval(session, actor=user, body=body)
    session.commit()
    return approval


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalPublic)
def approve(approval_id: RowId, request: Request, session: WriteSession, user: ApproverUser) -> Approval:
    """Approve (approver role only); the person's gates get a new config (offline gates hold approvals)."""
    approval = approvals.decide(session, actor=user, approval_id=approval_id, verdict="approved")
    session.commit()
    publish_person(request, session, approval.person_id)
    return approval


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalPublic)
def reject(approval_id: RowId, session: WriteSession, user: ApproverUser) -> Approval:
    """Reject (approver role only)."""
    approval = approvals.decide(session, actor=user, approval_id=approval_id, verdict="rejected")
    session.commit()
    return approval


@router.post("/approvals/{approval_id}/withdraw", response_model=ApprovalPublic)
def withdraw(approval_id: RowId, request: Request, session: WriteSession, user: ApproverUser) -> Approval:
    """Withdraw a granted approval (approver role only); the person's gates get a new config at once."""
    approval = approvals.withdraw(session, actor=user, approval_id=approval_id)
    session.commit()
    publish_person(request, session, approval.person_id)
    return approval


@router.get("/return-batches", response_model=list[ReturnBatchPublic])
def list_batches(session: ReadSession, user: RegistryReader, person_id: IdFilter = None) -> list[ReturnBatch]:
    """Students' return windows."""
    return approvals.find_batches(session, person_id=person_id)


@router.post("/return-batches", response_model=ReturnBatchPublic, status_code=status.HTTP_201_CREATED)
def create_batch(body: ReturnBatchCreate, session: WriteSession, user: OfficeUser) -> ReturnBatch:
    """Give a student a return window."""
    batch = approvals.create_batch(session, actor=user, body=body)
    session.commit()
    return batch


@router.post("/visitors", response_model=PassPublic, status_code=status.HTTP_201_CREATED)
def register_visitor(body: VisitorCreate, session: WriteSession, user: OfficeUser) -> Pass:
    """Register a visitor and issue their one-time pass for the visit window."""
    visit = approvals.register_visitor(session, actor=user, body=body)
    session.commit()
    return visit


@router.get("/vehicles", response_model=list[VehiclePublic])
def list_vehicles(session: ReadSession, user: RegistryGlancer, plate: str | None = None) -> list[Vehicle]:
    """Registered vehicles, optionally by plate fragment."""
    return approvals.find_vehicles(session, plate=plate)


@router.post("/vehicles", response_model=VehiclePublic, status_code=status.HTTP_201_CREATED)
def create_vehicle(body: VehicleCreate, session: WriteSession, user: OfficeUser) -> Vehicle:
    """Register a vehicle."""
    vehicle = approvals.add_vehicle(session, actor=user, body=body)
    session.commit()
    return vehicle
