"""The registry's change journal, read back: who changed what and when (``registry_change``).

The console and the API write it in the same transaction as each change (``record_change``);
this is the auditor's way in. Newest first, filtered by entity, entity id, user and time.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import col, func, select

from central.auth import Role, require_roles
from central.console_models import ReadSession, RegistryChange
from central.console_registry import Limit, Offset
from central.console_schemas import Page
from central.db import utc

router = APIRouter(prefix="/api/v1", tags=["audit"])
Auditor = Depends(require_roles(Role.AUDITOR, Role.SECURITY, Role.DIRECTOR))


class ChangePublic(BaseModel):
    """One journalled change."""

    id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


@router.get("/registry-changes", response_model=Page[ChangePublic], dependencies=[Auditor])
def changes(
    session: ReadSession,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ChangePublic]:
    """Registry changes, newest first; ``since`` inclusive, ``until`` exclusive (no offset: UTC)."""
    cond = []
    if entity is not None:
        cond.append(col(RegistryChange.entity) == entity)
    if entity_id is not None:
        cond.append(col(RegistryChange.entity_id) == entity_id)
    if username is not None:
        cond.append(col(RegistryChange.username) == username)
    if since is not None:
        cond.append(col(RegistryChange.at) >= utc(since))
    if until is not None:
        cond.append(col(RegistryChange.at) < utc(until))
    total = session.exec(select(func.count()).select_from(RegistryChange).where(*cond)).one()
    rows = session.exec(
        select(RegistryChange)
        .where(*cond)
        .order_by(col(RegistryChange.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return Page(
        data=[
            ChangePublic(
                id=r.id or 0,
                at=r.at,
                username=r.username,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                detail=json.loads(r.detail or "{}"),
            )
            for r in rows
        ],
        count=total,
    )
