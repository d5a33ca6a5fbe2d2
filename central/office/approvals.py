"""Staff approvals (requested by the office, decided by an approver), return batches, visitors, vehicles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from central.models.base import contains_text, plate_form
from central.models.registry import Approval, Household, Pass, Person, ReturnBatch, Vehicle
from central.models.users import User
from central.office.changes import record_change
from central.office.errors import Conflict, Invalid, must_get, plausible_days
from central.office.passes import campus_window
from central.office.people import add_person
from central.office.schemas import (
    ApprovalCreate,
    PersonCreate,
    ReturnBatchCreate,
    VehicleCreate,
    VisitorCreate,
)


def request_approval(session: Session, *, actor: User, body: ApprovalCreate) -> Approval:
    """The office asks an approver to let a staff member or contractor in."""
    plausible_days(valid_from=body.valid_from, valid_until=body.valid_until)
    must_get(session, Person, body.person_id, "person")
    approval = Approval(**body.model_dump(), approved_by="", status="requested", requested_by=actor.username)
    session.add(approval)
    session.flush()
    record_change(session, actor, "create", "approval", approval.id, person_id=body.person_id)
    return approval


def decide(session: Session, *, actor: User, approval_id: int, verdict: str) -> Approval:
    """Approve or reject a pending request (Conflict if it was already decided)."""
    if verdict not in ("approved", "rejected"):
        raise Invalid(f"an approval is approved or rejected, not {verdict!r}")
    approval = must_get(session, Approval, approval_id, "approval")
    if approval.status != "requested":
        raise Conflict(f"approval {approval_id} is already {approval.status}")
    approval.status = verdict
    approval.approved_by = actor.username
    approval.decided_at = datetime.now(UTC)
    session.add(approval)
    record_change(session, actor, "approve" if verdict == "approved" else "reject", "approval", approval_id)
    return approval


def withdraw(session: Session, *, actor: User, approval_id: int) -> Approval:
    """Withdraw a granted approval (Conflict unless it is approved); the caller re-publishes the person's gates."""
    approval = must_get(session, Approval, approval_id, "approval")
    if approval.status != "approved":
        raise Conflict(f"approval {approval_id} is {approval.status}; only an approved one can be withdrawn")
    approval.status = "withdrawn"
    approval.withdrawn_by = actor.username
    approval.withdrawn_at = datetime.now(UTC)
    session.add(approval)
    record_change(session, actor, "withdraw", "approval", approval_id, person_id=approval.person_id)
    return approval


def create_batch(session: Session, *, actor: User, body: ReturnBatchCreate) -> ReturnBatch:
    """Give a student a return window."""
    plausible_days(start=body.start, end=body.end)
    person = must_get(session, Person, body.person_id, "person")
    if person.category not in ("STUDENT", "INTL_STUDENT"):
        raise Invalid(f"person {body.person_id} is not a student")
    batch = ReturnBatch(**body.model_dump())
    session.add(batch)
    session.flush()
    record_change(session, actor, "create", "return_batch", batch.id, person_id=body.person_id)
    return batch


def register_visitor(session: Session, *, actor: User, body: VisitorCreate) -> Pass:
    """Register a visitor and issue their one-time pass for the visit window."""
    valid_from, valid_until = campus_window(session, body.campus_id, body.valid_from, body.valid_until)
    if body.household_id is not None:
        household = must_get(session, Household, body.household_id, "household")
        if household.campus_id != body.campus_id:
            raise Invalid("the household is on another campus")
    person = add_person(
        session, actor=None, body=PersonCreate(name=body.name, category="visitor", phone=body.phone)
    )
    assert person.id is not None
    visit = Pass(
        person_id=person.id,
        kind="VISITOR",
        campus_id=body.campus_id,
        household_id=body.household_id,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    session.add(visit)
    session.flush()
    record_change(session, actor, "create", "visitor", person.id, pass_id=visit.id)
    return visit


def add_vehicle(session: Session, *, actor: User, body: VehicleCreate) -> Vehicle:
    """Register a vehicle (Conflict if the plate is registered)."""
    plausible_days(valid_until=body.valid_until)
    must_get(session, Person, body.owner_person_id, "person")
    plate = body.plate  # in its plate form (the schema)
    if session.exec(select(Vehicle).where(Vehicle.plate == plate)).first():
        raise Conflict(f"vehicle {plate} is registered")
    vehicle = Vehicle(plate=plate, owner_person_id=body.owner_person_id, valid_until=body.valid_until)
    session.add(vehicle)
    session.flush()
    record_change(session, actor, "create", "vehicle", vehicle.id)
    return vehicle


def find_batches(session: Session, *, person_id: int | None = None) -> list[ReturnBatch]:
    """Students' return windows, optionally of one person."""
    stmt = select(ReturnBatch).order_by(col(ReturnBatch.id))
    if person_id is not None:
        stmt = stmt.where(ReturnBatch.person_id == person_id)
    return list(session.exec(stmt))


def find_vehicles(session: Session, *, plate: str | None = None) -> list[Vehicle]:
    """Registered vehicles, optionally by plate fragment."""
    return list(session.exec(select(Vehicle).where(*vehicle_filter(plate)).order_by(col(Vehicle.id))))


def vehicle_filter(plate: str | None) -> list[Any]:
    """The vehicles whose plate holds ``plate`` (in its plate form; none given: every vehicle)."""
    return [contains_text(col(Vehicle.plate), plate_form(plate))] if plate and plate_form(plate) else []
