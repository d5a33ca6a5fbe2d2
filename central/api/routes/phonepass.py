"""The phone pass: ``/p/{secret}`` shows a QR code that the page fetches again every 30 s, each
signed for one minute (``KeyRing.issue`` with ``now``), so a screenshot soon stops working."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html import escape

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from central.api.deps import OfficeUser, ReadSession, RowId, WriteSession, keyring_of
from central.models.registry import Pass, Person
from central.office import people
from central.office.errors import NotFound
from central.office.keys import PHONE_CODE_LIFETIME

logger = logging.getLogger(__name__)
REFRESH_S = 30
router = APIRouter(tags=["phone pass"])


def current_phone_pass(session: Session, secret: str, now: datetime) -> Pass | None:
    """The holder's newest phone pass valid at ``now`` and not revoked, or None."""
    person = session.exec(select(Person).where(Person.link_secret == secret)).first()
    if person is None or not person.active:
        return None
    return session.exec(
        select(Pass)
        .where(
            Pass.person_id == person.id,
            Pass.form == "PHONE",
            col(Pass.revoked_at).is_(None),
            col(Pass.valid_from) <= now,
            col(Pass.valid_until) > now,
            Pass.kind != "VEHICLE",
        )
        .order_by(col(Pass.id).desc())
    ).first()


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


@router.get("/p/{secret}", response_class=HTMLResponse)
def phone_page(secret: str, session: ReadSession) -> HTMLResponse:
    """The holder's page; the script fetches a new code every 30 s."""
    if current_phone_pass(session, secret, datetime.now(UTC)) is None:
        return HTMLResponse("<h1>无有效通行码 No valid phone pass</h1>", status_code=404)
    code_url = escape(f"/p/{secret}/code")
    return HTMLResponse(f"""<!doctype html><html lang="zh"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>通行码 Phone pass</title>
<body style="font-family:sans-serif;text-align:center">
<h1>校园通行码 <small>Campus phone pass</small></h1>
<img id="qr" alt="QR" style="width:80vw;max-width:360px"><p id="exp"></p>
<p>每 {REFRESH_S} 秒自动刷新，截图无效 · Refreshes every {REFRESH_S} s; screenshots stop working</p>
<script>
async function load() {{
  const r = await fetch("{code_url}", {{cache: "no-store"}});
  if (!r.ok) {{ document.getElementById("exp").textContent = "通行码已失效 Pass no longer valid"; return; }}
  const c = await r.json();
  document.getElementById("qr").src = c.svg;
  document.getElementById("qr").dataset.qr = c.qr;
  const until = new Date(c.expires_at).toLocaleTimeString();
  document.getElementById("exp").textContent = "有效至 Valid until " + until;
}}
load(); setInterval(load, {REFRESH_S * 1000});
</script></body></html>""")


@router.post("/api/v1/people/{person_id}/phone-link")
def phone_link(person_id: RowId, request: Request, session: WriteSession, user: OfficeUser) -> dict[str, str]:
    """The person's personal link (made on first request), to send to their phone."""
    secret = people.phone_link_secret(session, actor=user, person_id=person_id)
    session.commit()
    return {"url": str(request.base_url).rstrip("/") + f"/p/{secret}"}
