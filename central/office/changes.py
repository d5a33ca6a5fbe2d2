"""The registry's change journal: every office write records who changed what, and the auditor reads it back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from central.models.base import utc
from central.models.changes import RegistryChange
from central.models.users import User


def record_change(
    session: Session, user: User, action: str, entity: str, entity_id: object, **detail: Any
) -> None:
    """Journal a registry change in the caller's transaction."""
    session.add(
        RegistryChange(
            user_id=user.id,
            username=user.username,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            detail=json.dumps(detail, ensure_ascii=False, default=str),
        )
    )


def search_changes(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
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
