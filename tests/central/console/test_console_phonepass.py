"""The phone pass page: a one-minute code signed on each fetch, accepted by the decision service."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from central.console.web import LOCAL
from central.models.registry import Person
from gatecore.masking import mask_name
from gatecore.tokens import PassForm, verify_token
from tests.central.conftest import World
from tests.central.console_helpers import Client


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def phone_pass(
    c: Client, world: World, role: str = "zhang", *, valid_from: datetime | None = None
) -> tuple[str, int]:
    """(link path, pass id) of a fresh phone pass for a world role (valid from an hour ago unless told)."""
    now = datetime.now(UTC)
    body = {
        "person_id": world.people[role],
        "form": "PHONE",
        "valid_from": (valid_from or now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
    }
    (issued,) = c.call("POST", "/api/v1/passes", json=body).json()
    url = c.call("POST", f"/api/v1/people/{world.people[role]}/phone-link").json()["url"]
    return "/p/" + url.rsplit("/p/", 1)[1], issued["id"]


def world_name(c: Client, world: World, role: str) -> str:
    with Session(c.engine) as s:
        return s.get(Person, world.people[role]).name  # type: ignore[union-attr]


def test_phone_code_is_signed_for_one_minute_and_accepted(c: Client, world: World) -> None:
    link, pass_id = phone_pass(c, world)
    page = c.http.get(link)
    assert page.status_code == 200 and "setTimeout(load" in page.text
    # today's household status, the last valid day and the campus's rules, Chinese first
    assert 'id="today-free"' in page.text and "今日尚未使用" in page.text
    last = (datetime.now(UTC) + timedelta(days=7) - timedelta(microseconds=1)).astimezone(LOCAL).date()
    assert f"通行证有效期至 {last.isoformat()}" in page.text
    assert "不得入校" in page.text and "°C or more: no entry" in page.text  # Chinese, English beside
    assert "每户每天只限一人出入" in page.text and "one person per household a day" in page.text
    code = c.http.get(link + "/code").json()
    now = datetime.now(UTC)
    claims = verify_token(code["qr"], world.keyring.public_keys(), now)
    assert claims.form is PassForm.PHONE and claims.pass_id == pass_id
    assert timedelta(seconds=50) < claims.valid_until - now <= timedelta(seconds=60)
    assert code["svg"].startswith("data:image/svg+xml")
    topic, payload = world.scan(code["qr"], at=now)
    decision = json.loads(world.service.handle(topic, payload, now)[0].payload)
    assert decision["verdict"] == "allow", decision
    assert 'id="today-mine"' in c.http.get(link).text
    other, _ = phone_pass(c, world, "li")  # the same household: today is taken, by whom and when
    page = c.http.get(other).text
    assert (
        'id="today-used"' in page and "今日已由" in page and mask_name(world_name(c, world, "zhang")) in page
    )


def test_revoked_or_unknown_link_shows_no_code(c: Client, world: World) -> None:
    link, pass_id = phone_pass(c, world, "li")
    c.call("POST", f"/api/v1/passes/{pass_id}/revoke")
    assert c.http.get(link + "/code").status_code == 404
    assert c.http.get(link).status_code == 404
    assert c.http.get("/p/not-a-secret/code").status_code == 404


def test_a_pass_not_valid_yet_says_from_when(c: Client, world: World) -> None:
    """A resident opening the link before the pass starts is told from when it works (as the card
    prints it), not "no valid pass, ask the security office"; no code is signed before then."""
    begins = (datetime.now(UTC) + timedelta(days=2)).replace(hour=16, minute=0, second=0, microsecond=0)
    link, pass_id = phone_pass(c, world, "li", valid_from=begins)
    page = c.http.get(link)
    assert page.status_code == 404 and c.http.get(link + "/code").status_code == 404
    day = begins.astimezone(LOCAL).date().isoformat()  # 16:00 UTC is local midnight: the day alone
    assert (
        "通行码尚未生效" in page.text and f"自 {day} 起有效" in page.text and f"Valid from {day}" in page.text
    )
    assert "请联系保卫处" not in page.text
    c.call("POST", f"/api/v1/passes/{pass_id}/revoke")
    assert "请联系保卫处" in c.http.get(link).text  # revoked: nothing is coming


def test_phone_link_needs_the_office(c: Client, world: World) -> None:
    assert (
        c.call("POST", f"/api/v1/people/{world.people['zhang']}/phone-link", role="guard").status_code == 403
    )
    assert c.call("POST", "/api/v1/people/999/phone-link").status_code == 404


def test_a_phone_pass_has_no_card_to_print_and_says_so(c: Client, world: World) -> None:
    # its card.pdf and card.png answered 500 (the key ring refuses to sign a phone code without a time)
    _, pass_id = phone_pass(c, world)
    for what in ("qr", "card.pdf", "card.png"):
        r = c.call("GET", f"/api/v1/passes/{pass_id}/{what}")
        assert r.status_code == 422, (what, r.status_code, r.text[:200])
        assert r.json()["msg_zh"] == "手机通行证在持证人手机页面上生成", r.text
