"""The phone pass's code: ``/p/{secret}/code`` (the page, ``central.console.phone``, fetches it every
30 s), each signed for one minute (``KeyRing.issue`` with ``now``), so a screenshot soon stops working."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import segno
from fastapi import APIRouter, Request

from central.api.deps import OfficeUser, ReadSession, RowId, WriteSession, keyring_of
from central.office import people
from central.office.errors import NotFound
from central.office.keys import PHONE_CODE_LIFETIME
from central.office.phonepage import current_phone_pass

logger = logging.getLogger(__name__)
REFRESH_S = 30  # the page's refresh (central.console.phone says the same)
router = APIRouter(tags=["phone pass"])


@router.get("/p/{secret}/code")
def phone_code(secret: str, request: Request, session: ReadSession) -> dict[str, object]:
    """A freshly signed phone code (valid one minute) as text and as an SVG data URI."""
    now = datetime.now(UTC)
    row = current_phone_pass(session, secret, now)
    if row is None:
        raise NotFound("no valid phone pass for this link")
    qr = keyring_of(request).issue(row, now=now)
    return {
        "qr": qr,
        "svg": segno.make_qr(qr, error="m").svg_data_uri(scale=6, border=4),
        "expires_at": min(now + PHONE_CODE_LIFETIME, row.valid_until).isoformat(),
        "refresh_s": REFRESH_S,
    }


@router.post("/api/v1/people/{person_id}/phone-link")
def phone_link(person_id: RowId, request: Request, session: WriteSession, user: OfficeUser) -> dict[str, str]:
    """The person's personal link (made on first request), to send to their phone."""
    secret = people.phone_link_secret(session, actor=user, person_id=person_id)
    session.commit()
    return {"url": str(request.base_url).rstrip("/") + f"/p/{secret}"}
