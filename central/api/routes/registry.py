"""Registry API: campuses and their policies, gates, households and people (thin, over central.office)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlmodel import col, select

from central.api.deps import (
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
    publish_campus,
    publish_gate,
    publish_person,
)
from central.models.registry import Campus, Gate, Household, Person
from central.office import people, registry
from central.office.directory import household_filter, person_filter
from central.office.errors import must_get
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

router = APIRouter(prefix="/api/v1", tags=["registry"])


def gate_public(gate: Gate) -> dict[str, object]:
    """A gate's registry fields as the API shows them."""
    return {
        "gate_id": gate.gate_id,
        "campus_id": gate.campus_id,
        "open": gate.open,
        "name_zh": gate.name_zh,
        "name_en": gate.name_en,
    }


@router.get("/campuses", response_model=list[CampusPublic])
def list_campuses(session: ReadSession, user: RegistryGlancer) -> list[Campus]:
    """Every campus."""
    return list(session.exec(select(Campus).order_by(col(Campus.id))))


@router.post("/campuses", response_model=CampusPublic, status_code=status.HTTP_201_CREATED)
def create_campus(body: CampusCreate, session: WriteSession, user: OfficeUser) -> Campus:
    """A new campus with the default policy."""
    campus = registry.create_campus(session, actor=user, body=body)
    session.commit()
    return campus


@router.get("/campuses/{campus_id}/policy")
def get_policy(campus_id: RowId, session: ReadSession, user: RegistryReader) -> dict[str, object]:
    """The campus's current policy."""
    must_get(session, Campus, campus_id, "campus")
    return registry.latest_policy(session, campus_id).to_dict()


@router.put("/campuses/{campus_id}/policy")
def update_policy(
    campus_id: RowId, body: PolicyUpdate, request: Request, session: WriteSession, user: OfficeUser
) -> dict[str, object]:
    """Save the changed fields as the next policy version and re-publish the campus's gate configs."""
    saved = registry.change_policy(session, actor=user, campus_id=campus_id, changes=body.changes)
    session.commit()
    publish_campus(request, session, campus_id)
    return saved.to_dict()


@router.post("/gates", status_code=status.HTTP_201_CREATED)
def create_gate(
    body: GateCreate, request: Request, session: WriteSession, user: OfficeUser
) -> dict[str, object]:
    """Register a gate; its retained config is published at once, so it can decide offline from the start."""
    gate = registry.create_gate(session, actor=user, body=body)
    session.commit()
    publish_gate(request, gate.gate_id)
    return gate_public(gate)


@router.patch("/gates/{gate_id}")
def update_gate(
    gate_id: str, body: GateUpdate, request: Request, session: WriteSession, user: OfficeUser
) -> dict[str, object]:
    """Open, close or rename a gate; its retained config is published again."""
    gate = registry.change_gate(session, actor=user, gate_id=gate_id, body=body)
    session.commit()
    publish_gate(request, gate_id)
    return gate_public(gate)


@router.get("/households", response_model=Page[HouseholdPublic])
def list_households(
    session: ReadSession,
    user: RegistryReader,
    campus_id: IdFilter = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[HouseholdPublic]:
    """Households, filtered by campus and by an address ("2-3-302") or a search in the label."""
    cond = household_filter(q)
    if campus_id is not None:
        cond.append(col(Household.campus_id) == campus_id)
    return page_of(
        session, Household, cond, HouseholdPublic, order=col(Household.id), limit=limit, offset=offset
    )


@router.post("/households", response_model=HouseholdPublic, status_code=status.HTTP_201_CREATED)
def create_household(body: HouseholdCreate, session: WriteSession, user: OfficeUser) -> Household:
    """Register a household."""
    household = people.add_household(session, actor=user, body=body)
    session.commit()
    return household


@router.get("/households/{household_id}", response_model=HouseholdPublic)
def get_household(household_id: RowId, session: ReadSession, user: RegistryReader) -> Household:
    """One household."""
    return must_get(session, Household, household_id, "household")


@router.get("/people", response_model=Page[PersonPublic])
def list_people(
    session: ReadSession,
    user: RegistryReader,
    household_id: IdFilter = None,
    category: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PersonPublic]:
    """People, filtered by household, category, active, and the console's search (a name, a phone
    number, the last four ID characters or a building-unit-room: ``person_filter``)."""
    cond = person_filter(q)
    if household_id is not None:
        cond.append(col(Person.household_id) == household_id)
    if category:
        cond.append(col(Person.category) == category.upper())
    if active is not None:
        cond.append(col(Person.active) == active)
    return page_of(session, Person, cond, PersonPublic, order=col(Person.id), limit=limit, offset=offset)


@router.post("/people", response_model=PersonPublic, status_code=status.HTTP_201_CREATED)
def create_person(body: PersonCreate, session: WriteSession, user: OfficeUser) -> Person:
    """Register a person."""
    person = people.add_person(session, actor=user, body=body)
    session.commit()
    return person


@router.get("/people/{person_id}", response_model=PersonPublic)
def get_person(person_id: RowId, session: ReadSession, user: RegistryReader) -> Person:
    """One person."""
    return must_get(session, Person, person_id, "person")


@router.patch("/people/{person_id}", response_model=PersonPublic)
def update_person(
    person_id: RowId, body: PersonUpdate, request: Request, session: WriteSession, user: OfficeUser
) -> Person:
    """Change a person (deactivate, key-person monitoring, move household, …)."""
    person = people.change_person(session, actor=user, person_id=person_id, body=body)
    session.commit()
    publish_person(request, session, person_id)  # offline gates hold deactivations, groups, monitoring
    return person


@router.put("/people/{person_id}/commuter", response_model=PersonPublic)
def record_commuter(
    person_id: RowId, body: CommuterRecord, request: Request, session: WriteSession, user: OfficeUser
) -> Person:
    """Record (or withdraw) the commuter certificate with its validity, and who saw it."""
    person = people.record_commuter(
        session, actor=user, person_id=person_id, certificate=body.certificate, valid_until=body.valid_until
    )
    session.commit()
    publish_person(request, session, person_id)
    return person
