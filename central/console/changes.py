"""The console's page of the registry change journal: who changed what and when, newest first.

The query is ``central.office.changes.search_changes``, the one ``GET /api/v1/registry-changes`` runs,
and the page is open to the same roles. Times typed into the filter form are Beijing time (the API
takes a time without an offset as UTC); the detail is shown as ``key=value`` text.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from sqlmodel import col, select

from central.api.deps import CHANGE_READERS, ReadSession
from central.console.web import LOCAL, PAGE, Viewer, admit, field_errors, page_offset, pager, render
from central.models.base import SearchTime
from central.models.changes import RegistryChange
from central.office.changes import detail_of, search_changes

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app


class ChangeFilter(BaseModel):
    """The filter form: blank fields are left out; times without an offset are Beijing time."""

    model_config = ConfigDict(extra="ignore")

    entity: str | None = None
    entity_id: str | None = None
    username: str | None = None
    since: SearchTime | None = None
    until: SearchTime | None = None

    @model_validator(mode="after")
    def _local(self) -> ChangeFilter:
        for name in ("since", "until"):
            at = getattr(self, name)
            if at is not None and at.tzinfo is None:
                setattr(self, name, at.replace(tzinfo=LOCAL))
        if self.since and self.until and self.since >= self.until:
            raise ValueError("the start time must be before the end time")
        return self


FILTERS = tuple(ChangeFilter.model_fields)


def detail_text(detail: dict[str, Any]) -> str:
    """A change's detail as ``key=value`` pairs (strings bare, anything else as JSON)."""
    return "  ".join(
        f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}" for k, v in detail.items()
    )


@router.get("/changes")
def changes_page(request: Request, session: ReadSession, user: Viewer) -> Response:
    """The change journal, newest first, narrowed by the filter form, ``PAGE`` rows a page."""
    viewer = admit(user, *CHANGE_READERS)
    query = request.query_params
    form = {name: query[name].strip() for name in FILTERS if query.get(name, "").strip()}
    offset = page_offset(query.get("offset"))
    rows: list[RegistryChange] = []
    count, errors = 0, {}
    try:
        filters = ChangeFilter.model_validate(form)
    except ValidationError as exc:
        errors = field_errors(exc)
    else:
        rows, count = search_changes(session, **filters.model_dump(), limit=PAGE, offset=offset)
    return render(
        request,
        "changes.html",
        viewer,
        status_code=422 if errors else 200,
        form=form,
        errors=errors,
        rows=[{"change": r, "detail": detail_text(detail_of(r))} for r in rows],
        **pager(offset, count, **form),
        entities=list(
            session.exec(select(RegistryChange.entity).distinct().order_by(col(RegistryChange.entity)))
        ),
    )
