"""The live dashboard page (its data comes from ``GET /api/v1/dashboard/stream``), the fever-alert
banner's open alerts, and the fever-alerts page (acknowledged ones too: who and when)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BeforeValidator
from sqlmodel import Session

from central.api.deps import ACKERS, WATCHERS, IdFilter, ReadSession
from central.console.i18n import codes_of
from central.console.web import PAGE, Viewer, admit, campus_names, page_offset, pager, render
from central.models.users import Role
from central.office import dashboard, fever_alerts
from central.office.zones import zone_of
from gatecore.masking import mask_name

router = APIRouter(include_in_schema=False)  # CSRF: applied once in central.app
SHOWN = (
    "gate_state",
    "camera",
    "thermometer",
    "verdict",
    "incident",
    "reason",
    "direction",
    "live",
)  # the page's script shows these
# a campus filter whose "any" option sends campus_id= (blank): every campus
AnyCampus = Annotated[IdFilter, BeforeValidator(lambda v: v or None)]


@router.get("/dashboard")
def page(request: Request, user: Viewer) -> Response:
    """The dashboard page (a login redirect without a session, a refusal page without the role)."""
    viewer = admit(user)
    if not viewer.may(*WATCHERS):
        raise HTTPException(403, detail="the dashboard needs the security, director, auditor or admin role")
    with Session(request.app.state.read_engine) as session:
        gates = dashboard.gates(session)
        tz, zones = dashboard.zones(session)  # the page's script shows each time in its campus's zone
    codes = codes_of(*SHOWN)
    return render(
        request,
        "dashboard.html",
        viewer,
        gates=gates,
        can_ack=viewer.may(*ACKERS),
        codes=codes,
        tz=tz,
        zones=zones,
    )


@router.get("/console/fever-alerts")
def open_alerts(request: Request, user: Viewer) -> list[dict[str, Any]]:
    """The unacknowledged fever alerts for the banner on every console page (JSON, newest first); a
    guard sees them too (on the gates page, their first page), with masked names and no acknowledge."""
    viewer = admit(user, *WATCHERS, Role.GUARD)
    with Session(request.app.state.read_engine) as session:
        alerts = dashboard.open_alerts(session)
    if not viewer.may(*WATCHERS):  # a guard at the gate learns of the fever, the office keeps the full name
        alerts = [{**a, "person": mask_name(a["person"]) if a["person"] else ""} for a in alerts]
    return alerts


@router.get("/console/fevers")
def alerts_page(
    request: Request,
    session: ReadSession,
    user: Viewer,
    show: Literal["all", "open"] = "all",
    campus_id: AnyCampus = None,
    offset: str | None = None,
) -> Response:
    """Every fever alert, newest first, ``PAGE`` a page (or the open ones; one campus's): each on its
    campus's clock, named, with the full name, the incident it opened and who acknowledged it when. An
    office page: a guard learns of a fever from the banner, and never sees the full name."""
    viewer = admit(user, *WATCHERS)
    start = page_offset(offset)
    rows, count = fever_alerts.listing(
        session, open_only=show == "open", campus_id=campus_id, limit=PAGE, offset=start
    )
    for row in rows:  # an alert of no known campus: the office's clock
        row["zone"] = ZoneInfo(row["tz"]) if row["tz"] else zone_of(None)
    return render(
        request,
        "fevers.html",
        viewer,
        rows=rows,
        campuses=campus_names(session),
        form={"show": show, "campus_id": campus_id},
        can_ack=viewer.may(*ACKERS),
        **pager(start, count, show=show, campus_id=campus_id),
    )
