"""The live dashboard: the page, its server-sent event stream, and acknowledging a fever alert.

The stream polls the shared database every 0.3 s (new log seq, open alerts, gate states; charts and
conflicts every few seconds or with new rows), which
works whichever process (worker) wrote the rows and needs no broker connection in the API.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session

from central.api import csrf
from central.api.auth import Role, User, optional_user, require_roles
from central.api.deps import RowId
from central.models.db import session_scope
from central.office import dashboard

logger = logging.getLogger(__name__)

POLL_S = 0.3
CHARTS_EVERY_S = 3.0
MAX_STREAM_S = 300.0  # the browser reconnects (retry: 1000); bounds a stream a shutdown must wait for
WATCHERS = (Role.SECURITY, Role.DIRECTOR, Role.AUDITOR, Role.ADMIN)

templates = Jinja2Templates(directory=str(Path(__file__).parents[2] / "console" / "templates"))
router = APIRouter(tags=["dashboard"])
Watcher = Depends(require_roles(*WATCHERS))
ACKERS = (Role.SECURITY, Role.DIRECTOR)
Acker = Annotated[User, Depends(require_roles(*ACKERS))]


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    """The dashboard page (a login redirect without a session)."""
    if user is None:
        return RedirectResponse("/console/login?next=/dashboard", status_code=303)
    if not user.may(*WATCHERS):
        raise HTTPException(403, detail="the dashboard needs the security, director, auditor or admin role")
    with Session(request.app.state.read_engine) as session:
        gates = dashboard.gates(session)
    context = {
        "gates": gates,
        "user": user.username,
        "csrf_token": csrf.token_for(request),
        "can_ack": user.may(*ACKERS),
    }
    return templates.TemplateResponse(request, "dashboard/index.html", context)


def _poll(engine: Engine, state: dict[str, Any], now: datetime) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    with Session(engine) as session:
        if state["seq"] is None:
            state["seq"] = max(
                0, dashboard.last_seq(session) - 20
            )  # the last few rows, so the feed is not empty
        entries = dashboard.new_entries(session, state["seq"])
        if entries:
            state["seq"] = entries[-1]["seq"]
            out.append(("entries", entries))
        alerts = dashboard.open_alerts(session)
        if alerts != state["alerts"]:
            state["alerts"] = alerts
            out.append(("alerts", alerts))
        gates = dashboard.gates(session)
        if gates != state["gates"]:
            state["gates"] = gates
            out.append(("gates", gates))
        if entries or now.timestamp() - state["charts_at"] >= CHARTS_EVERY_S:
            charts = dashboard.charts(session, now)
            state["charts_at"] = now.timestamp()
            if charts != state["charts"]:
                state["charts"] = charts
                out.append(("charts", charts))
            # a conflict is a log row, so it comes with new entries; the timer rolls "today" over
            conflicts = dashboard.conflicts(session, now)
            if conflicts != state["conflicts"]:
                state["conflicts"] = conflicts
                out.append(("conflicts", conflicts))
    return out


async def _events(request: Request) -> AsyncIterator[str]:
    engine = request.app.state.read_engine
    state: dict[str, Any] = {
        "seq": None,
        "alerts": None,
        "gates": None,
        "charts": None,
        "charts_at": 0.0,
        "conflicts": None,
    }
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MAX_STREAM_S
    yield "retry: 1000\n\n"
    while loop.time() < deadline and not await request.is_disconnected():
        for name, data in await asyncio.to_thread(_poll, engine, state, datetime.now(UTC)):
            yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        await asyncio.sleep(POLL_S)


@router.get("/api/v1/dashboard/stream", dependencies=[Watcher])
async def stream(request: Request) -> StreamingResponse:
    """Server-sent events (JSON), each when it changes: ``entries``, ``alerts``, ``gates``, ``charts``,
    ``conflicts``."""
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request), media_type="text/event-stream", headers=headers)


@router.post("/api/v1/fever-alerts/{alert_id}/ack", status_code=204, dependencies=[Depends(csrf.protect)])
def ack(request: Request, user: Acker, alert_id: RowId) -> Response:
    """Acknowledge a fever alert: it leaves every open console."""
    with session_scope(request.app.state.engine) as session:
        if not dashboard.acknowledge(session, alert_id, datetime.now(UTC)):
            raise HTTPException(404, detail=f"no fever alert {alert_id}")
    return Response(status_code=204)
