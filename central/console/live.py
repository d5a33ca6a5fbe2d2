"""The live dashboard page (its data comes from ``GET /api/v1/dashboard/stream``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlmodel import Session

from central.api.deps import ACKERS, WATCHERS
from central.console.i18n import codes_of
from central.console.web import Viewer, admit, render
from central.office import dashboard

router = APIRouter(include_in_schema=False)  # CSRF: applied once in central.app
SHOWN = ("gate_state", "camera", "thermometer", "verdict", "incident")  # the codes the page's script shows


@router.get("/dashboard")
def page(request: Request, user: Viewer) -> Response:
    """The dashboard page (a login redirect without a session, a refusal page without the role)."""
    viewer = admit(user)
    if not viewer.may(*WATCHERS):
        raise HTTPException(403, detail="the dashboard needs the security, director, auditor or admin role")
    with Session(request.app.state.read_engine) as session:
        gates = dashboard.gates(session)
    codes = codes_of(*SHOWN)
    return render(request, "dashboard.html", viewer, gates=gates, can_ack=viewer.may(*ACKERS), codes=codes)


@router.get("/console/fever-alerts")
def open_alerts(request: Request, user: Viewer) -> list[dict[str, Any]]:
    """The unacknowledged fever alerts for the banner on every console page (JSON, newest first)."""
    admit(user, *WATCHERS)
    with Session(request.app.state.read_engine) as session:
        return dashboard.open_alerts(session)
