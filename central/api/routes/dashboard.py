"""The live dashboard's server-sent event stream (the page itself: ``central.console.live``).

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
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session

from central.api.deps import Watcher
from central.office import dashboard

logger = logging.getLogger(__name__)

POLL_S = 0.3
CHARTS_EVERY_S = 3.0
MAX_STREAM_S = 300.0  # the browser reconnects (retry: 1000); bounds a stream a shutdown must wait for

router = APIRouter(tags=["dashboard"])


def _poll(engine: Engine, state: dict[str, Any], now: datetime) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    with Session(engine) as session:
        if state["tz"] is None:  # "today" and the hours of the charts are the page's (dashboard.zones)
            state["tz"] = dashboard.zones(session)[0]
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
            charts = dashboard.charts(session, now, state["tz"])
            state["charts_at"] = now.timestamp()
            if charts != state["charts"]:
                state["charts"] = charts
                out.append(("charts", charts))
            # a conflict is a log row, so it comes with new entries; the timer rolls "today" over
            conflicts = dashboard.conflicts(session, now, state["tz"])
            if conflicts != state["conflicts"]:
                state["conflicts"] = conflicts
                out.append(("conflicts", conflicts))
    return out


async def _events(request: Request) -> AsyncIterator[str]:
    engine = request.app.state.read_engine
    state: dict[str, Any] = {
        "tz": None,
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


@router.get("/api/v1/dashboard/stream")
async def stream(request: Request, user: Watcher) -> StreamingResponse:
    """Server-sent events (JSON), each when it changes: ``entries``, ``alerts``, ``gates``, ``charts``,
    ``conflicts``."""
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request), media_type="text/event-stream", headers=headers)
