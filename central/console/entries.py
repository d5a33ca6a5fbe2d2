"""The console's entry-log search (issue #5): the filters of ``GET /api/v1/entries``, a paged table and
a CSV link carrying the same filters.

The filter set and the query are ``central.audit.entries``' own (``EntryFilter``, ``search``); this
module only reads the form. Times typed into the form are the chosen campus's local time (the office's,
``DEFAULT_TZ``, when no campus is chosen); the CSV link carries them as UTC instants, since the API
takes a time without an offset as UTC. Each row shows its time in its own campus's zone, named.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlmodel import select

from central.api.deps import ReadSession
from central.audit.entries import EntryFilter, search
from central.console.i18n import message
from central.console.web import (
    ENTRY_ROLES,
    PAGE,
    Viewer,
    admit,
    campus_names,
    field_errors,
    page_offset,
    pager,
    render,
)
from central.models.journal import EntryEvent
from central.models.registry import Gate
from central.office.zones import campus_zone, campus_zones, zone_of
from gatecore.reasons import REASONS, Reason, Verdict

router = APIRouter(prefix="/console", include_in_schema=False)  # CSRF: applied once in central.app
FILTERS = tuple(f.name for f in dataclasses.fields(EntryFilter))
_filter_adapter = TypeAdapter(EntryFilter)


def parse_filters(
    query: Mapping[str, str], zone_for: Callable[[int | None], ZoneInfo]
) -> tuple[EntryFilter, dict[str, str]]:
    """The filter the form asks for (blank fields left out, offset-less times in ``zone_for`` the chosen
    campus, None for none), or errors."""
    raw = {name: query[name].strip() for name in FILTERS if query.get(name, "").strip()}
    try:
        filters = _filter_adapter.validate_python(raw)
    except ValidationError as exc:
        return EntryFilter(), field_errors(exc)
    zone = zone_for(filters.campus_id)
    local = {
        name: at.replace(tzinfo=zone)
        for name in ("since", "until")
        if (at := getattr(filters, name)) is not None and at.tzinfo is None
    }
    filters = dataclasses.replace(filters, **local)
    if filters.since is not None and filters.until is not None and filters.until <= filters.since:
        # an empty window would silently list nothing: say why instead
        return EntryFilter(), {"until": message("the start time must be before the end time")}
    return filters, {}


def api_query(filters: EntryFilter) -> str:
    """The filter as the API's query string (times as UTC instants)."""
    params: dict[str, str] = {}
    for name in FILTERS:
        value = getattr(filters, name)
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, datetime):
            params[name] = value.astimezone(UTC).isoformat()
        elif value is not None:
            params[name] = str(value)
    return urlencode(params)


def _row(entry: EntryEvent, zone: ZoneInfo) -> dict[str, Any]:
    info = REASONS.get(Reason(entry.reason)) if entry.reason in Reason._value2member_map_ else None
    try:
        holder = json.loads(entry.decision_json).get("holder", "")
    except (ValueError, AttributeError):
        holder = ""
    return {
        "seq": entry.seq,
        "at": entry.received_at,
        "zone": zone,  # its campus's, named beside the time
        "gate_id": entry.gate_id,
        "person_id": entry.person_id,
        "holder": holder,  # masked (张*明), as the gate showed it
        "verdict": entry.verdict,
        "reason": entry.reason,
        "reason_zh": info.zh if info else "",
        "reason_en": info.en if info else "",
        "celsius": entry.celsius,
        "offline": entry.offline_verdict is not None,
        "override": entry.override_guard is not None,
    }


@router.get("/entries")
def entries_page(request: Request, session: ReadSession, user: Viewer) -> Response:
    """The entry log, newest first, narrowed by the filter form, ``PAGE`` rows a page."""
    viewer = admit(user, *ENTRY_ROLES)
    query = request.query_params
    filters, errors = parse_filters(query, lambda campus_id: campus_zone(session, campus_id))
    zones = campus_zones(session)
    offset = page_offset(query.get("offset"))
    rows, count = ([], 0) if errors else search(session, filters, limit=PAGE, offset=offset)
    form = {name: query[name] for name in FILTERS if query.get(name)}
    # a code typed in another case (DENY) is shown as the option it chose
    form |= {name: str(code) for name in ("verdict", "reason") if (code := getattr(filters, name))}
    return render(
        request,
        "entries.html",
        viewer,
        status_code=422 if errors else 200,
        form=form,
        errors=errors,
        rows=[_row(r, zones.get(r.campus_id or 0, zone_of(None))) for r in rows],
        filter_zone=campus_zone(session, filters.campus_id),  # the clock typed times are read in
        **pager(offset, count, **form),
        csv_url=f"/api/v1/entries.csv?{api_query(filters)}",
        campuses=campus_names(session),
        gate_ids=list(session.exec(select(Gate.gate_id).order_by(Gate.gate_id))),
        verdicts=[v.value for v in Verdict],
        reasons=[(r.value, REASONS[r].zh, REASONS[r].en) for r in Reason if r in REASONS],
    )
