"""``/metrics`` (Prometheus text format), ``/health`` (liveness) and ``/ready`` (readiness), unauthenticated
for the campus's monitoring; they reveal counts, never names or passes."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response

from central.ops.metrics import exposition
from central.ops.ready import readiness

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """This process's counters and the database's gauges."""
    body = exposition(request.app.state.engine)
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/health")
def health() -> Response:
    """Alive: the process answers (restart it if not)."""
    return Response('{"status": "alive"}', media_type="application/json")


@router.get("/ready")
def ready(request: Request) -> Response:
    """Ready for traffic: database reachable, schema current, broker connected (if a worker runs here)."""
    state = readiness(request.app.state.engine, getattr(request.app.state, "broker_connected", None))
    return Response(
        json.dumps(state.to_dict()), status_code=200 if state.ready else 503, media_type="application/json"
    )
