"""Request and response models of the registry API: the XBase / XCreate / XUpdate / XPublic family."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, field_validator, model_validator

from central.models.base import NOTE_LENGTH, Day, DbId, Plate, code_form, filled, one_line, plain_text
from central.models.registry import CAMPUS_CODE_LENGTH, STUDENT_NO_LENGTH
from central.office.idnumber import id_number_problem
from central.office.windows import Bound, check_window
from gatecore.campus import DEFAULT_TZ, GROUP_CODE, valid_timezone
from gatecore.tokens import PassKind

T = TypeVar("T")


TEXT_LENGTH = 200  # a name, a phone number, a building, unit or room, a label (the people import too)
Text = Annotated[
    str, Field(min_length=1, max_length=TEXT_LENGTH), AfterValidator(one_line), AfterValidator(filled)
]
Line = Annotated[str, Field(max_length=TEXT_LENGTH), AfterValidator(one_line)]  # may be empty
Note = Annotated[str, Field(max_length=NOTE_LENGTH), AfterValidator(one_line)]
Address = Annotated[Text, AfterValidator(code_form)]  # a building, unit or room


def _student_no(value: object) -> object:
    # before the length check: full-width digits are one character each either way, and a blank
    # number is no number
    return (code_form(value) or None) if isinstance(value, str) else value


StudentNo = Annotated[
    Annotated[str, Field(max_length=STUDENT_NO_LENGTH)] | None, BeforeValidator(_student_no)
]


def _kind(value: str) -> str:
    name = value.strip().upper()
    if name not in PassKind.__members__ or name == "VEHICLE":
        allowed = ", ".join(k.lower() for k in PassKind.__members__ if k != "VEHICLE")
        raise ValueError(f"unknown category {value!r}; one of {allowed}")
    return name


Category = Annotated[str, AfterValidator(_kind)]
# a closed-management group tag, e.g. "logistics" (pydantic's regex: ``$`` is the end of the text)
Group = Annotated[str, Field(pattern=rf"^{GROUP_CODE.pattern}$")]


class Page(BaseModel, Generic[T]):
    """One page of a list and the total that matched."""

    data: list[T]
    count: int


def _zone(value: str) -> str:
    if not valid_timezone(value):
        raise ValueError(f"time zone {value!r} is not in the IANA database")
    return value


class CampusCreate(BaseModel):
    """A new campus."""

    code: Annotated[Text, Field(max_length=CAMPUS_CODE_LENGTH)]
    name_zh: Text
    name_en: Line = ""
    timezone: Annotated[str, AfterValidator(plain_text), AfterValidator(_zone)] = DEFAULT_TZ


class CampusPublic(CampusCreate):
    """A campus."""

    id: int
    timezone: str = DEFAULT_TZ  # as stored: a read must never fail on an old bad value


class PolicyUpdate(BaseModel):
    """Fields of ``CampusPolicy`` to change; the rest stay as they are."""

    changes: dict[str, Any]


class GateCreate(BaseModel):
    """A new gate."""

    gate_id: Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    campus_id: DbId
    name_zh: Text
    name_en: Line = ""
    open: bool = True


class GateUpdate(BaseModel):
    """Open or close a gate, or rename it."""

    open: bool | None = None
    name_zh: Line | None = None
    name_en: Line | None = None


class HouseholdBase(BaseModel):
    """Where a household lives."""

    campus_id: DbId
    building: Address
    unit: Address
    room: Address


class HouseholdCreate(HouseholdBase):
    """A new household; the label defaults to 'campus building-unit-room'."""

    label: Line | None = None


class HouseholdPublic(HouseholdBase):
    """A household."""

    id: int
    label: str


class PersonBase(BaseModel):
    """A person as the office registers them."""

    household_id: DbId | None = None
    name: Text
    category: Category
    active: bool = True
    key_person_until: Day | None = None
    group: Group | None = None
    student_no: StudentNo = None


def _id_number(value: str) -> str:
    value = code_form(plain_text(value))
    problem = id_number_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class PersonCreate(PersonBase):
    """A new person; the ID-card number is hashed, only its last four characters are kept."""

    id_number: Annotated[str, Field(max_length=32), AfterValidator(_id_number)] | None = None
    phone: Line | None = None


class PersonUpdate(BaseModel):
    """Fields to change."""

    household_id: DbId | None = None
    name: Text | None = None
    category: Category | None = None
    active: bool | None = None
    key_person_until: Day | None = None
    phone: Line | None = None
    group: Group | None = None
    student_no: StudentNo = None

    @field_validator("name", "category", "active", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # leave the field out to keep it; null would blank a required column
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class CommuterRecord(BaseModel):
    """Whether the employer's commuter certificate was shown, and its last valid day (it lapses after)."""

    certificate: bool
    valid_until: Day | None = None

    @model_validator(mode="after")
    def _dated(self) -> CommuterRecord:
        if self.certificate and self.valid_until is None:
            raise ValueError("a commuter certificate needs its valid_until date")
        return self


class PersonPublic(PersonBase):
    """A person (never the ID-card number: only its last four)."""

    id: int
    commuter: bool
    commuter_recorded_by: str | None
    commuter_until: date | None = None
    id_last4: str | None
    phone: str | None


class Window(BaseModel):
    """An inclusive date range."""

    valid_from: Day
    valid_until: Day

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        return self


class ApprovalCreate(Window):
    """A request to let staff or a contractor in, or someone kept in by closed management out."""

    person_id: DbId
    kind: Annotated[str, Field(pattern="^(staff|contractor|exit)$")] = "staff"


class ApprovalPublic(ApprovalCreate):
    """An approval request and its outcome."""

    id: int
    status: str
    approved_by: str
    requested_by: str | None
    decided_at: datetime | None
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None


class ReturnBatchCreate(BaseModel):
    """A student's return window."""

    person_id: DbId
    start: Day
    end: Day

    @model_validator(mode="after")
    def _ordered(self) -> ReturnBatchCreate:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class ReturnBatchPublic(ReturnBatchCreate):
    """A return window."""

    id: int


class VisitorCreate(BaseModel):
    """A visitor and the window of their one-time pass."""

    name: Text
    campus_id: DbId
    household_id: DbId | None = None
    phone: Line | None = None
    valid_from: Bound  # a bare date: the campus's local day (central.office.windows)
    valid_until: Bound

    @model_validator(mode="after")
    def _ordered(self) -> VisitorCreate:
        check_window(self.valid_from, self.valid_until)  # the rest in the campus's zone when issued
        return self


class VehicleCreate(BaseModel):
    """A vehicle."""

    plate: Plate
    owner_person_id: DbId
    valid_until: Day


class VehiclePublic(VehicleCreate):
    """A vehicle."""

    id: int


class PassCreate(BaseModel):
    """Issue passes: for one person, a whole household or a whole campus (exactly one of them)."""

    person_id: DbId | None = None
    household_id: DbId | None = None
    vehicle_id: DbId | None = None
    campus_id: DbId | None = None
    form: Annotated[str, Field(pattern="^(CARD|PHONE)$")] = "CARD"
    valid_from: Bound  # a bare date: the campus's local day, valid_until's the last valid one
    valid_until: Bound

    @model_validator(mode="after")
    def _one_target(self) -> PassCreate:
        targets = sum(x is not None for x in (self.person_id, self.household_id, self.vehicle_id))
        if targets > 1 or (targets == 0 and self.campus_id is None):
            raise ValueError(
                "give person_id or vehicle_id (with campus_id when there is no household), "
                "household_id, or campus_id"
            )
        check_window(self.valid_from, self.valid_until)  # the rest in the campus's zone when issued
        return self


class PassPublic(BaseModel):
    """An issued pass (the QR text is fetched separately)."""

    id: int
    person_id: DbId
    kind: str
    form: str
    campus_id: DbId
    household_id: int | None
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    used_at: datetime | None
