"""Whether the service and its database answer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from central.api.deps import ReadSession
from central.api.schemas import HealthPublic
from central.models.db import unavailable

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(session: ReadSession) -> HealthPublic:
    """Whether the service and its database answer."""
    try:
        session.execute(text("SELECT 1"))
        ok = True
    except SQLAlchemyError as exc:
        logger.warning("health check: database unavailable: %s", unavailable(exc))
        ok = False
    return HealthPublic(status="ok" if ok else "degraded", database=ok, time=datetime.now(UTC))
