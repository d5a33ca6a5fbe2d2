"""The live dashboard page (its data comes from ``GET /api/v1/dashboard/stream``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session

from central.api.deps import ACKERS, WATCHERS
from central.console.i18n import codes_of
from central.console.web import Viewer, admit, render
from central.models.users import Role
from central.office import dashboard
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
