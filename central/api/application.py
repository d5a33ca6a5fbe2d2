"""The REST API (read side): thin routes over the same database the worker writes."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from central.api import csrf
from central.api.auth import Role, require_roles
from central.api.bodylimit import BodyLimit
from central.api.deps import IdFilter, Limit, Offset, ReadSession
from central.api.openapi import documented
from central.api.router import router as console_router
from central.api.routes.audit import Auditor
from central.api.routes.audit import router as audit_router
from central.api.routes.changes import router as changes_router
from central.api.routes.conflicts import router as conflicts_router
from central.api.routes.dashboard import Watcher
from central.api.routes.users import router as users_router
from central.api.schemas import (
    FeverAlertPublic,
    GatePublic,
    HealthPublic,
    RejectedPublic,
)
from central.models.db import read_only
from central.models.journal import FeverAlert, GateState, RejectedMessage
from central.models.registry import Gate
from central.settings import CentralSettings

logger = logging.getLogger(__name__)

API = "/api/v1"


# a guard may see the gates' state (which gate is down); the journals are for the office
GateReader = Depends(require_roles(Role.SECURITY, Role.APPROVER, Role.GUARD, Role.AUDITOR, Role.DIRECTOR))


def create_app(settings: CentralSettings, engine: Engine) -> FastAPI:
    """The FastAPI application on ``engine``."""
    app = FastAPI(title="campusgate central", version="1")
    app.openapi = lambda: documented(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit)
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_only(engine)
    # cookie-authenticated writes (incident steps, report sign-off, users) need the console's CSRF token
    app.include_router(audit_router, dependencies=[Depends(csrf.protect)])
    app.include_router(conflicts_router)
    app.include_router(changes_router)

    @app.get(f"{API}/health", response_model=HealthPublic)
    def health(session: ReadSession) -> HealthPublic:
        """Whether the service and its database answer."""
        try:
            session.execute(text("SELECT 1"))
            ok = True
        except SQLAlchemyError as exc:
            logger.warning("health check: database unavailable: %s", type(exc).__name__)
            ok = False
        return HealthPublic(status="ok" if ok else "degraded", database=ok, time=datetime.now(UTC))

    @app.get(f"{API}/gates", response_model=list[GatePublic], dependencies=[GateReader])
    def gates(session: ReadSession, campus_id: IdFilter = None) -> list[GatePublic]:
        """Every registered gate with its last status."""
        stmt = select(Gate, GateState).join(GateState, col(GateState.gate_id) == Gate.gate_id, isouter=True)
        if campus_id is not None:
            stmt = stmt.where(Gate.campus_id == campus_id)
        return [GatePublic.of(g, s) for g, s in session.exec(stmt.order_by(col(Gate.gate_id)))]

    @app.get(f"{API}/fever-alerts", response_model=list[FeverAlertPublic], dependencies=[Watcher])
    def fever_alerts(
        session: ReadSession, unacknowledged: bool = False, limit: Limit = 50, offset: Offset = 0
    ) -> list[FeverAlertPublic]:
        """Fever alerts, newest first."""
        stmt = select(FeverAlert)
        if unacknowledged:
            stmt = stmt.where(col(FeverAlert.acknowledged_at).is_(None))
        rows = session.exec(stmt.order_by(col(FeverAlert.id).desc()).offset(offset).limit(limit))
        return [FeverAlertPublic.of(r) for r in rows]

    @app.get(f"{API}/rejected", response_model=list[RejectedPublic], dependencies=[Auditor])
    def rejected(session: ReadSession, limit: Limit = 50, offset: Offset = 0) -> list[RejectedPublic]:
        """Dead letters, newest first."""
        rows = session.exec(
            select(RejectedMessage).order_by(col(RejectedMessage.id).desc()).offset(offset).limit(limit)
        )
        return [RejectedPublic.of(r) for r in rows]

    app.include_router(console_router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parents[1] / "console" / "static"), name="static"
    )
    app.include_router(users_router, dependencies=[Depends(csrf.protect)])
    return app
