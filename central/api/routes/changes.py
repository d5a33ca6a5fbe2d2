"""The registry's change journal, read back: who changed what and when (``registry_change``).

The console and the API write it in the same transaction as each change (``record_change``);
this is the auditor's way in. Newest first, filtered by entity, entity id, user and time.
:func:`search_changes` is the one query, shared by the API route and the console's change page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from central.api.auth import Role, require_roles
from central.api.deps import Limit, Offset, ReadSession, RegistryChange
from central.models.base import utc
from central.office.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["audit"])
CHANGE_READERS = (Role.AUDITOR, Role.SECURITY, Role.DIRECTOR)
Auditor = Depends(require_roles(*CHANGE_READERS))


class ChangePublic(BaseModel):
    """One journalled change."""

    id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


def search_changes(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> tuple[list[RegistryChange], int]:
    """A page of changes, newest first, and the total; since inclusive, until exclusive (naive: UTC)."""
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
    return list(rows), total


def detail_of(change: RegistryChange) -> dict[str, Any]:
    """The change's detail as a dict (the column holds JSON)."""
    detail: dict[str, Any] = json.loads(change.detail or "{}")
    return detail


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
    rows, total = search_changes(
        session,
        entity=entity,
        entity_id=entity_id,
        username=username,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
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
                detail=detail_of(r),
            )
            for r in rows
        ],
        count=total,
    )
