"""The seeded passes as the simulator needs them: each with its demo role and its QR text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from central.models.registry import Approval, Campus, Gate, Pass, Person, ReturnBatch
from central.office.keys import KeyRing


@dataclass(frozen=True, slots=True)
class DemoPass:
    """A pass the simulator can present: its role in the demo and its QR text."""

    role: str  # resident | tenant | commuter | key_person | staff | staff_unapproved | student | ...
    pass_id: int
    person_id: int
    household_id: int | None
    campus_code: str
    gate_ids: list[str] = field(default_factory=list)
    token: str = ""


def pass_tokens(
    session: Session, keyring: KeyRing, pass_ids: list[int], *, now: datetime | None = None
) -> dict[int, str]:
    """The QR texts of chosen passes, by pass id (unknown ids are left out)."""
    rows = session.exec(select(Pass).where(col(Pass.id).in_(pass_ids)))
    return {p.id: keyring.issue(p, now=now) for p in rows if p.id is not None}


def demo_passes(
    session: Session,
    keyring: KeyRing,
    *,
    campus_code: str | None = None,
    roles: set[str] | None = None,
    now: datetime | None = None,
) -> list[DemoPass]:
    """Every seeded pass with its demo role and QR text, for the simulator's residents to present."""
    campuses = {c.id: c.code for c in session.exec(select(Campus))}
    gates: dict[int, list[str]] = {}
    for gate in session.exec(select(Gate).order_by(col(Gate.gate_id))):
        gates.setdefault(gate.campus_id, []).append(gate.gate_id)
    people = {p.id: p for p in session.exec(select(Person))}
    approved = set(session.exec(select(Approval.person_id).where(Approval.status == "approved")))
    batched = set(session.exec(select(ReturnBatch.person_id)))
    out = []
    for p in session.exec(select(Pass).order_by(col(Pass.id))):
        code = campuses.get(p.campus_id, "")
        role = _role(p, people.get(p.person_id), approved, batched)
        if (campus_code and code != campus_code) or (roles and role not in roles) or p.id is None:
            continue
        out.append(
            DemoPass(
                role=role,
                pass_id=p.id,
                person_id=p.person_id,
                household_id=p.household_id,
                campus_code=code,
                gate_ids=gates.get(p.campus_id, []),
                token=keyring.issue(p, now=now),
            )
        )
    return out


def _role(p: Pass, person: Person | None, approved: set[int], batched: set[int]) -> str:
    if p.revoked_at is not None:
        return "revoked"
    if p.kind == "STAFF":
        return "staff" if p.person_id in approved else "staff_unapproved"
    if p.kind == "STUDENT":
        return "student_batch" if p.person_id in batched else "student"
    if person is not None and person.key_person_until is not None:
        return "key_person"
    if person is not None and person.commuter:
        return "commuter"
    return p.kind.lower()
