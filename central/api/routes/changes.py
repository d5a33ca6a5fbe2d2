"""The registry's change journal, read back: who changed what and when (``registry_change``).

The console and the API write it in the same transaction as each change (``record_change``);
this is the auditor's way in. Newest first, filtered by entity, entity id, user and time.
:func:`search_changes` is the one query, shared by the API route and the console's change page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from central.api.deps import ChangeReader, Limit, Offset, ReadSession, ordered_window
from central.models.base import SearchTime
from central.office.changes import detail_of, search_changes
from central.office.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["audit"])


class ChangePublic(BaseModel):
    """One journalled change."""

    id: int
    at: datetime
    username: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


@router.get("/registry-changes", response_model=Page[ChangePublic])
def changes(
    session: ReadSession,
    user: ChangeReader,
    entity: str | None = None,
    entity_id: str | None = None,
    username: str | None = None,
    since: SearchTime | None = None,
    until: SearchTime | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ChangePublic]:
    """Registry changes, newest first; ``since`` inclusive, ``until`` exclusive (no offset: UTC)."""
    ordered_window(since, until)
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
