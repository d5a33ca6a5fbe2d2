"""Console pages for gates (open/close, live state), campus policies and vehicles.

Every write calls the API route's own function (``central.api.routes.registry`` /
``central.api.routes.approvals``) with the API's schema, so the console cannot drift from the API: the
same checks, the same journal entry, the same re-published gate configs.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError, field_validator
from sqlmodel import Session, col, select

from central.api.deps import (
    CONSOLE_ROLES,
    IdFilter,
    ReadSession,
    RowId,
    WriteSession,
    page_of,
    publish_campus,
    publish_gate,
)
from central.console.i18n import pair
from central.console.web import (
    PAGE,
    Viewer,
    admit,
    campus_names,
    chosen_campus,
    done,
    field_errors,
    form_of,
    page_offset,
    pager,
    person_names,
    refusal,
    render,
    submit,
)
from central.models.registry import Gate, Vehicle
from central.models.users import Role, User
from central.office import approvals, dashboard, registry
from central.office.catalogue.words import WORDS
from central.office.errors import OfficeError
from central.office.schemas import GateUpdate, VehicleCreate
from central.office.zones import campus_zones, zone_of
from gatecore.campus import valid_timezone
from gatecore.masking import mask_name
from gatecore.tokens import PassKind

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app
KINDS = [k.lower() for k in PassKind.__members__]


# --- gates -----------------------------------------------------------------------------------------


@router.get("/gates")
def gates_page(request: Request, session: ReadSession, user: Viewer, offset: str | None = None) -> Response:
    """Every gate with its campus, open or closed, and its live state, a page at a time."""
    return gates(request, session, admit(user, *CONSOLE_ROLES, Role.GUARD), page_offset(offset))


def gates(request: Request, session: Session, viewer: User, offset: int = 0, **ctx: Any) -> Response:
    """The gates page; the live state is the dashboard's (the retained status each gate publishes)."""
    is_open = {g.gate_id: g.open for g in session.exec(select(Gate))}
    every = dashboard.gates(session)  # the states of all gates come in one go: the page is cut from them
    rows = [{**g, "open": is_open.get(g["gate_id"])} for g in every[offset : offset + PAGE]]
    return render(
        request,
        "gates.html",
        viewer,
        rows=rows,
        campuses=campus_names(session),
        zones=campus_zones(session),  # a gate's last status in its campus's clock, named
        office_zone=zone_of(None),  # a gate of no campus the registry knows
        can_switch=viewer.may(Role.SECURITY),
        **pager(offset, len(every)),
        **ctx,
    )


@router.post("/gates/{gate_id}/{action}")
def switch_gate(gate_id: str, action: str, request: Request, session: WriteSession, user: Viewer) -> Response:
    """Open or close a gate, as ``PATCH /api/v1/gates/{id}`` (its config is published again)."""
    viewer = admit(user, Role.SECURITY)
    if action not in ("open", "close"):
        raise HTTPException(404, detail=f"no action {action!r}")
    try:
        registry.change_gate(session, actor=viewer, gate_id=gate_id, body=GateUpdate(open=action == "open"))
    except OfficeError as exc:
        return gates(request, session, viewer, **refusal(exc))
    session.commit()
    publish_gate(request, gate_id)
    return done("/console/gates", f"gate_{action}", gate=gate_id)


# --- policy ----------------------------------------------------------------------------------------


class PolicyForm(BaseModel):
    """The policy form's fields, typed (the API's ``PolicyUpdate`` takes an untyped dict of changes)."""

    fever_threshold: float
    plausible_min: float
    plausible_max: float
    household_quota: bool = False
    timezone: str
    allowed_kinds: list[str] = []
    opens: time | None = None
    closes: time | None = None
    closed_groups: list[str] = []
    nat_interval_hours: int = 0
    nat_max_age_hours: int | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not valid_timezone(value):  # the one check, as the API's (gatecore.campus)
            raise ValueError(f"unknown time zone {value!r}")
        return value

    def as_policy_dict(self) -> dict[str, Any]:
        """The fields in ``CampusPolicy.to_dict`` form."""
        data = self.model_dump()
        data["allowed_kinds"] = sorted(data["allowed_kinds"])
        data["closed_groups"] = sorted(set(data["closed_groups"]))
        for key in ("opens", "closes"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@router.get("/policy")
def policy_page(request: Request, session: ReadSession, user: Viewer, campus_id: IdFilter = None) -> Response:
    """A campus's current policy and, for the office, the form to change it."""
    return policy(request, session, admit(user, *CONSOLE_ROLES), campus_id)


def policy(
    request: Request, session: Session, viewer: User, campus_id: int | None = None, **ctx: Any
) -> Response:
    """The policy page of one campus (the first one by default)."""
    campuses, campus_id = chosen_campus(session, campus_id)
    current = registry.latest_policy(session, campus_id).to_dict() if campus_id is not None else None
    return render(
        request,
        "policy.html",
        viewer,
        campuses=campuses,
        campus_id=campus_id,
        policy=current,
        kinds=KINDS,
        can_edit=viewer.may(Role.SECURITY),
        **ctx,
    )


@router.post("/policy/{campus_id}")
async def policy_form(campus_id: RowId, request: Request, session: WriteSession, user: Viewer) -> Response:
    """Save the changed fields as the next version, as ``PUT /api/v1/campuses/{id}/policy``."""
    viewer = admit(user, Role.SECURITY)
    posted = await request.form()
    form: dict[str, Any] = await form_of(request)
    form["allowed_kinds"] = [k for k in posted.getlist("allowed_kinds") if isinstance(k, str)]
    form["household_quota"] = "household_quota" in form
    # one text box: "student, logistics" (comma, space or Chinese comma between groups)
    form["closed_groups"] = [g for g in re.split(r"[\s,，、]+", form.get("closed_groups", "").lower()) if g]
    try:
        wanted = PolicyForm.model_validate(form).as_policy_dict()
    except ValidationError as exc:
        return policy(request, session, viewer, campus_id, form=form, errors=field_errors(exc))
    current = registry.latest_policy(session, campus_id).to_dict()
    changes = {k: v for k, v in wanted.items() if current.get(k) != v}
    if not changes:
        return policy(request, session, viewer, campus_id, message=pair(*WORDS["nothing_changed"]))
    if form.get("confirm") != "yes":
        # the preview: the office's own checks run in a savepoint rolled back, so a value the save
        # would refuse is refused here, before anyone is asked to confirm it
        nested = session.begin_nested()
        try:
            registry.change_policy(session, actor=viewer, campus_id=campus_id, changes=changes)
        except OfficeError as exc:
            return policy(request, session, viewer, campus_id, form=form, **refusal(exc))
        finally:
            nested.rollback()
        preview = [(k, current.get(k), v) for k, v in changes.items()]
        hidden = [(k, v) for k, v in posted.multi_items() if isinstance(v, str) and k != "csrf"]
        return policy(request, session, viewer, campus_id, form=form, preview=preview, hidden=hidden)
    try:
        saved = registry.change_policy(session, actor=viewer, campus_id=campus_id, changes=changes)
    except OfficeError as exc:
        return policy(request, session, viewer, campus_id, form=form, **refusal(exc))
    session.commit()
    publish_campus(request, session, campus_id)
    return done(
        f"/console/policy?campus_id={campus_id}",
        "policy_saved",
        version=saved.version,
        changes_zh="、".join(WORDS.get(k, (k, k))[0] for k in changes),
        changes_en=", ".join(WORDS.get(k, (k, k))[1] for k in changes),
    )


# --- vehicles --------------------------------------------------------------------------------------


@router.get("/vehicles")
def vehicles_page(
    request: Request, session: ReadSession, user: Viewer, plate: str | None = None, offset: str | None = None
) -> Response:
    """Registered vehicles, a page at a time, with a plate search and the register form."""
    return vehicles(request, session, admit(user, *CONSOLE_ROLES, Role.GUARD), plate, page_offset(offset))


def vehicles(
    request: Request,
    session: Session,
    viewer: User,
    plate: str | None = None,
    offset: int = 0,
    **ctx: Any,
) -> Response:
    """The vehicles page."""
    cond = approvals.vehicle_filter(plate)
    found = page_of(session, Vehicle, cond, order=col(Vehicle.id), limit=PAGE, offset=offset)
    rows = found.data
    owners = person_names(session, {v.owner_person_id for v in rows})
    if not viewer.may(*CONSOLE_ROLES):
        # a guard checks a plate at the gate; the owner's full name stays with the office
        owners = {pid: mask_name(name) for pid, name in owners.items()}
    return render(
        request,
        "vehicles.html",
        viewer,
        plate=plate,
        rows=rows,
        owners=owners,
        can_add=viewer.may(Role.SECURITY),
        **pager(offset, found.count, plate=plate),
        **ctx,
    )


@router.post("/vehicles")
async def vehicle_form(request: Request, session: WriteSession, user: Viewer) -> Response:
    """Register a vehicle, as ``POST /api/v1/vehicles``."""
    viewer = admit(user, Role.SECURITY)
    form = await form_of(request)
    return submit(
        session,
        lambda: approvals.add_vehicle(session, actor=viewer, body=VehicleCreate.model_validate(form)),
        again=lambda **why: vehicles(request, session, viewer, form=form, **why),
        done_at=lambda x: ("/console/vehicles", "vehicle_added", {"plate": x.plate}),
    )
