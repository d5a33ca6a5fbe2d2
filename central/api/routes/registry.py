"""Registry API: campuses and their policies, gates, households and people."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from central.api.auth import Role, User, require_roles
from central.api.deps import (
    IdFilter,
    Limit,
    Offset,
    ReadSession,
    RowId,
    WriteSession,
    get_or_404,
    publish_campus,
    record_change,
    refuse,
)
from central.models.base import contains_text
from central.models.registry import Campus, Gate, Household, Person
from central.office import registry
from central.office.registry import id_hash
from central.office.schemas import (
    CampusCreate,
    CampusPublic,
    CommuterRecord,
    GateCreate,
    GateUpdate,
    HouseholdCreate,
    HouseholdPublic,
    Page,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
    PolicyUpdate,
)

READERS = (Role.SECURITY, Role.AUDITOR, Role.DIRECTOR, Role.APPROVER)
Reader = Annotated[User, Depends(require_roles(*READERS))]
Office = Annotated[User, Depends(require_roles(Role.SECURITY))]

router = APIRouter(prefix="/api/v1", tags=["registry"])


@router.get("/campuses", response_model=list[CampusPublic])
def list_campuses(
    session: ReadSession, user: Annotated[User, Depends(require_roles(*READERS, Role.GUARD))]
) -> list[Campus]:
    """Every campus."""
    return list(session.exec(select(Campus).order_by(col(Campus.id))))


@router.post("/campuses", response_model=CampusPublic, status_code=status.HTTP_201_CREATED)
def create_campus(body: CampusCreate, session: WriteSession, user: Office) -> Campus:
    """A new campus with the default policy."""
    if session.exec(select(Campus).where(Campus.code == body.code)).first():
        raise refuse(409, f"campus code {body.code!r} exists")
    try:
        campus = registry.add_campus(session, **body.model_dump())
    except registry.PolicyError as exc:
        raise policy_refusal(exc) from None
    record_change(session, user, "create", "campus", campus.id, code=campus.code)
    session.commit()
    return campus


def policy_refusal(exc: registry.PolicyError) -> HTTPException:
    """A 422 whose details name each bad field, Chinese first and English beside it."""
    return HTTPException(
        422,
        detail=[
            {"loc": ["body", field], "msg": f"{zh} / {en}", "msg_zh": zh, "msg_en": en, "type": "policy"}
            for field, zh, en in exc.problems
        ],
    )


@router.get("/campuses/{campus_id}/policy")
def get_policy(campus_id: RowId, session: ReadSession, user: Reader) -> dict[str, object]:
    """The campus's current policy."""
    get_or_404(session, Campus, campus_id, "campus")
    return registry.latest_policy(session, campus_id).to_dict()


@router.put("/campuses/{campus_id}/policy")
def update_policy(
    campus_id: RowId, body: PolicyUpdate, request: Request, session: WriteSession, user: Office
) -> dict[str, object]:
    """Save the changed fields as the next policy version and re-publish the campus's gate configs."""
    get_or_404(session, Campus, campus_id, "campus")
    try:
        saved = registry.save_policy(session, registry.changed_policy(session, campus_id, body.changes))
    except registry.PolicyError as exc:
        raise policy_refusal(exc) from None
    record_change(
        session, user, "update", "campus_policy", campus_id, version=saved.version, changes=body.changes
    )
    session.commit()
    publish_campus(request, session, campus_id)
    return saved.to_dict()


@router.post("/gates", status_code=status.HTTP_201_CREATED)
def create_gate(body: GateCreate, session: WriteSession, user: Office) -> dict[str, object]:
    """Register a gate."""
    get_or_404(session, Campus, body.campus_id, "campus")
    if session.get(Gate, body.gate_id):
        raise refuse(409, f"gate {body.gate_id!r} exists")
    session.add(Gate(**body.model_dump()))
    record_change(session, user, "create", "gate", body.gate_id)
    session.commit()
    return body.model_dump()


@router.patch("/gates/{gate_id}")
def update_gate(
    gate_id: str, body: GateUpdate, request: Request, session: WriteSession, user: Office
) -> dict[str, object]:
    """Open, close or rename a gate; its retained config is published again."""
    gate = get_or_404(session, Gate, gate_id, "gate")
    changes = body.model_dump(exclude_none=True)
    for key, value in changes.items():
        setattr(gate, key, value)
    session.add(gate)
    record_change(session, user, "update", "gate", gate_id, **changes)
    session.commit()
    publish = getattr(request.app.state, "publish_config", None)
    if publish is not None:
        publish(gate_id)
    return {
        "gate_id": gate.gate_id,
        "campus_id": gate.campus_id,
        "open": gate.open,
        "name_zh": gate.name_zh,
        "name_en": gate.name_en,
    }


@router.get("/households", response_model=Page[HouseholdPublic])
def list_households(
    session: ReadSession,
    user: Reader,
    campus_id: IdFilter = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[HouseholdPublic]:
    """Households, filtered by campus and by a search in the label."""
    cond = []
    if campus_id is not None:
        cond.append(col(Household.campus_id) == campus_id)
    if q:
        cond.append(contains_text(col(Household.label), q))
    total = session.exec(select(func.count()).select_from(Household).where(*cond)).one()
    rows = session.exec(
        select(Household).where(*cond).order_by(col(Household.id)).offset(offset).limit(limit)
    )
    return Page(data=[HouseholdPublic.model_validate(r, from_attributes=True) for r in rows], count=total)


def add_household(session: Session, body: HouseholdCreate) -> Household:
    """A new household (409 if the flat is registered)."""
    campus = get_or_404(session, Campus, body.campus_id, "campus")
    same = select(Household).where(
        Household.campus_id == body.campus_id,
        Household.building == body.building,
        Household.unit == body.unit,
        Household.room == body.room,
    )
    if session.exec(same).first():
        raise refuse(409, f"household {body.building}-{body.unit}-{body.room} exists on this campus")
    label = body.label or f"{campus.name_zh} {body.building}-{body.unit}-{body.room}"
    household = Household(**body.model_dump(exclude={"label"}), label=label)
    session.add(household)
    session.flush()
    return household


@router.post("/households", response_model=HouseholdPublic, status_code=status.HTTP_201_CREATED)
def create_household(body: HouseholdCreate, session: WriteSession, user: Office) -> Household:
    """Register a household."""
    household = add_household(session, body)
    record_change(session, user, "create", "household", household.id)
    session.commit()
    return household


@router.get("/households/{household_id}", response_model=HouseholdPublic)
def get_household(household_id: RowId, session: ReadSession, user: Reader) -> Household:
    """One household."""
    return get_or_404(session, Household, household_id, "household")


@router.get("/people", response_model=Page[PersonPublic])
def list_people(
    session: ReadSession,
    user: Reader,
    household_id: IdFilter = None,
    category: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PersonPublic]:
    """People, filtered by household, category, active, and a search in name or phone."""
    cond = []
    if household_id is not None:
        cond.append(col(Person.household_id) == household_id)
    if category:
        cond.append(col(Person.category) == category.upper())
    if active is not None:
        cond.append(col(Person.active) == active)
    if q:
        cond.append(or_(contains_text(col(Person.name), q), contains_text(col(Person.phone), q)))
    total = session.exec(select(func.count()).select_from(Person).where(*cond)).one()
    rows = session.exec(select(Person).where(*cond).order_by(col(Person.id)).offset(offset).limit(limit))
    return Page(data=[PersonPublic.model_validate(r, from_attributes=True) for r in rows], count=total)


def add_person(session: Session, body: PersonCreate) -> Person:
    """A new person (404 for an unknown household, 409 for an ID number already registered)."""
    if body.household_id is not None:
        get_or_404(session, Household, body.household_id, "household")
    digest = id_hash(body.id_number) if body.id_number else None
    if digest and session.exec(select(Person.id).where(Person.id_hash == digest)).first():
        raise refuse(409, "a person with this ID number is already registered")
    person = Person(
        **body.model_dump(exclude={"id_number"}),
        id_hash=digest,
        id_last4=body.id_number.strip()[-4:] if body.id_number else None,
        link_secret=secrets.token_urlsafe(24),
    )
    session.add(person)
    session.flush()
    return person


@router.post("/people", response_model=PersonPublic, status_code=status.HTTP_201_CREATED)
def create_person(body: PersonCreate, session: WriteSession, user: Office) -> Person:
    """Register a person."""
    person = add_person(session, body)
    record_change(session, user, "create", "person", person.id, category=person.category)
    session.commit()
    return person


@router.get("/people/{person_id}", response_model=PersonPublic)
def get_person(person_id: RowId, session: ReadSession, user: Reader) -> Person:
    """One person."""
    return get_or_404(session, Person, person_id, "person")


@router.patch("/people/{person_id}", response_model=PersonPublic)
def update_person(person_id: RowId, body: PersonUpdate, session: WriteSession, user: Office) -> Person:
    """Change a person (deactivate, key-person monitoring, move household, …)."""
    person = get_or_404(session, Person, person_id, "person")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("household_id") is not None:
        get_or_404(session, Household, changes["household_id"], "household")
    for key, value in changes.items():
        setattr(person, key, value)
    session.add(person)
    record_change(session, user, "update", "person", person_id, fields=sorted(changes))
    session.commit()
    return person


@router.put("/people/{person_id}/commuter", response_model=PersonPublic)
def record_commuter(person_id: RowId, body: CommuterRecord, session: WriteSession, user: Office) -> Person:
    """Record (or withdraw) the commuter certificate, with who saw it."""
    person = get_or_404(session, Person, person_id, "person")
    person.commuter = body.certificate
    person.commuter_recorded_by = user.username
    session.add(person)
    record_change(session, user, "update", "person", person_id, commuter=body.certificate)
    session.commit()
    return person
