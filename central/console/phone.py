"""The resident's phone page ``/p/{secret}``: the rotating code (``GET /p/{secret}/code``), today's
household status, the pass's last valid day and the campus's rules."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from central.api.deps import ReadSession
from central.console.web import render
from central.office.phonepage import coming_phone_pass, current_phone_pass, phone_status, starts

router = APIRouter(include_in_schema=False)


@router.get("/p/{secret}")
def phone_page(secret: str, request: Request, session: ReadSession) -> Response:
    """The holder's page; its script fetches a new code every 30 s."""
    now = datetime.now(UTC)
    row = current_phone_pass(session, secret, now)
    if row is None:
        coming = coming_phone_pass(session, secret, now)
        begins = starts(session, coming) if coming is not None else None
        return render(request, "phone.html", None, status_code=404, valid=False, begins=begins)
    return render(
        request,
        "phone.html",
        None,
        valid=True,
        code_url=f"/p/{secret}/code",
        status=phone_status(session, row, now),
    )
