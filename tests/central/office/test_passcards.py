"""Passes: issue (one, household, campus), revoke, re-issue; cards as PDF and PNG whose QR verifies."""

from __future__ import annotations

import base64
import dataclasses
import io
import re
import shutil
import subprocess
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from pyzbar.pyzbar import decode
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getDescent, stringWidth
from sqlmodel import Session

from central.models.registry import Pass
from central.office import registry
from central.office.passcards import (
    CARD_W,
    MIN_SIZE,
    PAD,
    QR_PAD,
    QR_SIDE,
    TEXT_SIZE,
    PassCard,
    layout,
    render_pdf,
    render_png,
)
from central.office.pdffont import PLACEHOLDER, drawable, pdf_font
from gatecore.tokens import PassKind, verify_token
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.office.pdf_checks import assert_fonts_embedded, pdf_text

WINDOW = {"valid_from": "2026-11-20T00:00:00Z", "valid_until": "2027-01-31T00:00:00Z"}


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


def decoded(image: Image.Image) -> list[str]:
    """The texts of the QR codes in an image."""
    return [d.data.decode() for d in decode(image)]


def test_issue_one_household_campus(c: Client, world: World) -> None:
    one = c.call(
        "POST",
        "/api/v1/passes",
        json={"person_id": world.people["staff"], "campus_id": world.campus_id, **WINDOW},
    )
    assert one.status_code == 201 and [p["kind"] for p in one.json()] == ["STAFF"]
    house = c.call("POST", "/api/v1/passes", json={"household_id": world.household_id, **WINDOW}).json()
    assert sorted(p["person_id"] for p in house) == sorted(world.people[r] for r in ("zhang", "li", "wang"))
    campus = c.call("POST", "/api/v1/passes", json={"campus_id": world.campus_id, **WINDOW}).json()
    assert len(campus) == 3 and {p["household_id"] for p in campus} == {world.household_id}
    both = c.call("POST", "/api/v1/passes", json={"person_id": 1, "household_id": 1, **WINDOW})
    assert both.status_code == 422
    assert (
        c.call(
            "POST", "/api/v1/passes", role="auditor", json={"household_id": world.household_id, **WINDOW}
        ).status_code
        == 403
    )
    assert c.call("POST", "/api/v1/passes", json={"household_id": 999, **WINDOW}).status_code == 404


def test_revoke_puts_pass_on_the_config_and_republishes(c: Client, world: World) -> None:
    pid = world.passes["li"]
    assert c.call("POST", f"/api/v1/passes/{pid}/revoke", role="guard").status_code == 403
    r = c.call("POST", f"/api/v1/passes/{pid}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert c.published == [world.gate_id]
    with Session(world.engine) as s:
        config = registry.gate_config(s, world.gate_id, world.keyring.public_keys_b64(), datetime.now(UTC))
    assert config is not None and pid in config.revoked
    assert c.call("POST", f"/api/v1/passes/{pid}/revoke").status_code == 409


def test_revoked_pass_is_refused_by_the_decision_service(c: Client, world: World) -> None:
    c.call("POST", f"/api/v1/passes/{world.passes['zhang']}/revoke")
    topic, payload = world.scan("zhang", at=datetime.now(UTC))
    messages = world.service.handle(topic, payload, datetime.now(UTC))
    assert b"pass_revoked" in messages[0].payload


def test_reissue_revokes_old_and_keeps_holder(c: Client, world: World) -> None:
    old = world.passes["wang"]
    r = c.call("POST", f"/api/v1/passes/{old}/reissue")
    assert r.status_code == 201 and r.json()["id"] != old and r.json()["person_id"] == world.people["wang"]
    listed = c.call(
        "GET", f"/api/v1/passes?person_id={world.people['wang']}&revoked=false", role="auditor"
    ).json()
    assert [p["id"] for p in listed["data"]] == [r.json()["id"]]


def test_card_png_qr_verifies(c: Client, world: World) -> None:
    r = c.call("GET", f"/api/v1/passes/{world.passes['zhang']}/card.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    (text,) = decoded(Image.open(io.BytesIO(r.content)))
    claims = verify_token(text, world.keyring.public_keys(), NOW)
    assert claims.pass_id == world.passes["zhang"] and claims.kind is PassKind.RESIDENT


def pdf_qr_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    """The QR texts on a PDF's pages: rendered by pdftoppm when installed, else its embedded images."""
    if shutil.which("pdftoppm"):
        (tmp_path / "card.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "200", "-png", str(tmp_path / "card.pdf"), str(tmp_path / "pg")], check=True
        )
        return [t for png in sorted(tmp_path.glob("pg*.png")) for t in decoded(Image.open(png))]
    texts = []
    image = re.compile(rb"<<([^>]*?/Subtype /Image[^>]*?)>>\s*stream\r?\n(.*?)endstream", re.S)
    for head, data in image.findall(pdf):
        assert b"/ASCII85Decode /FlateDecode" in head and b"/DeviceRGB" in head
        w = int(re.search(rb"/Width (\d+)", head).group(1))  # type: ignore[union-attr]
        h = int(re.search(rb"/Height (\d+)", head).group(1))  # type: ignore[union-attr]
        raw = zlib.decompress(base64.a85decode(data.strip().removeprefix(b"<~").removesuffix(b"~>")))
        texts += decoded(Image.frombytes("RGB", (w, h), raw))
    return texts


@pytest.mark.parametrize(
    "url", ["/api/v1/passes/{pid}/card.pdf", "/api/v1/passes/sheet.pdf?household_id={hh}"]
)
def test_card_pdf_qr_verifies(c: Client, world: World, tmp_path: Path, url: str) -> None:
    r = c.call("GET", url.format(pid=world.passes["li"], hh=world.household_id))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert_fonts_embedded(r.content, tmp_path)
    ids = {
        verify_token(t, world.keyring.public_keys(), NOW).pass_id for t in pdf_qr_texts(r.content, tmp_path)
    }
    expected = (
        {world.passes["li"]} if "card.pdf" in url else {world.passes[r] for r in ("zhang", "li", "wang")}
    )
    assert ids == expected


def test_cards_refused_to_auditor_and_for_unknown_pass(c: Client, world: World) -> None:
    assert c.call("GET", f"/api/v1/passes/{world.passes['li']}/card.pdf", role="auditor").status_code == 403
    assert c.call("GET", "/api/v1/passes/999/card.pdf").status_code == 404
    with Session(world.engine) as s:
        assert s.get(Pass, world.passes["li"]) is not None


def test_vehicle_pass_carries_the_vehicle_id(c: Client, world: World) -> None:
    body = {"plate": "晋A88888", "owner_person_id": world.people["zhang"], "valid_until": "2027-06-30"}
    vehicle = c.call("POST", "/api/v1/vehicles", json=body).json()
    (issued,) = c.call("POST", "/api/v1/passes", json={"vehicle_id": vehicle["id"], **WINDOW}).json()
    assert (issued["kind"], issued["person_id"], issued["campus_id"]) == (
        "VEHICLE",
        vehicle["id"],
        world.campus_id,
    )
    r = c.call("GET", f"/api/v1/passes/{issued['id']}/card.png")
    (text,) = decoded(Image.open(io.BytesIO(r.content)))
    assert verify_token(text, world.keyring.public_keys(), NOW).kind is PassKind.VEHICLE
    assert c.call("POST", "/api/v1/passes", json={"vehicle_id": 999, **WINDOW}).status_code == 404


def test_card_prints_last_valid_day_and_reads_back_in_chinese(world: World, tmp_path: Path) -> None:
    """A pass to 2026-12-31 (exclusive end: Beijing midnight of 2027-01-01) prints 2026-12-31, and the
    holder's Chinese name comes back out of the PDF, every font embedded."""
    from zoneinfo import ZoneInfo

    from central.office.passcards import PassCard, last_day, render_pdf

    end = datetime(2027, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    assert last_day(end, ZoneInfo("Asia/Shanghai")).isoformat() == "2026-12-31"
    card = PassCard(
        serial="CG-01-000007",
        campus_zh="坞城校区",
        campus_en="Wucheng",
        household="5-1-101",
        holder="梁思敏",
        kind="RESIDENT",
        valid_from=datetime(2026, 11, 30, 16, tzinfo=UTC),
        valid_until=end,
        timezone="Asia/Shanghai",
        qr="x",
    )
    for sheet in (False, True):
        pdf = render_pdf([card], sheet=sheet)
        assert_fonts_embedded(pdf, tmp_path)
        text = pdf_text(pdf, tmp_path)
        assert "梁思敏" in text and "2026-12-01 – 2026-12-31" in text and "2027-01-01" not in text
        assert "Campus Pass" in text


def _phone_pass(c: Client, world: World, valid_from: str, valid_until: str) -> tuple[dict, str]:
    """li's phone pass issued through the API for the window given, and the phone page it opens."""
    body = {
        "person_id": world.people["li"],
        "form": "PHONE",
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    r = c.call("POST", "/api/v1/passes", json=body)
    assert r.status_code == 201, r.text
    url = c.call("POST", f"/api/v1/people/{world.people['li']}/phone-link").json()["url"]
    return r.json()[0], c.http.get("/p/" + url.rsplit("/p/", 1)[1]).text


def test_a_pass_ending_part_way_through_a_day_prints_its_end_time(c: Client, world: World) -> None:
    """A date and time without an offset is UTC: midnight is 08:00 in Beijing, so such a pass stops
    working at 08:00 on its last date, and the card, the pass list and the phone page say so instead
    of promising the whole day."""
    from zoneinfo import ZoneInfo

    from central.office.passcards import printed_from, printed_until

    beijing = ZoneInfo("Asia/Shanghai")
    assert printed_until(datetime(2026, 12, 31, tzinfo=UTC), beijing) == "2026-12-31 08:00"
    assert printed_until(datetime(2027, 1, 1, tzinfo=beijing), beijing) == "2026-12-31"
    assert printed_from(datetime(2026, 12, 1, tzinfo=beijing), beijing) == "2026-12-01"
    assert printed_from(datetime(2026, 12, 1, 1, 30, tzinfo=UTC), beijing) == "2026-12-01 09:30"

    _, page = _phone_pass(c, world, "2026-11-01", "2099-12-31T00:00:00")
    assert "通行证有效期至 2099-12-31 08:00" in page and "pass valid until 2099-12-31 08:00" in page
    assert "含当天" not in page


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles"])
def test_bare_dates_are_whole_local_days_of_the_campus(c: Client, world: World, zone: str) -> None:
    """A pass issued "2026-11-01" to "2026-12-31" works from the campus's first local midnight through
    the whole of its last day, wherever the campus is, and says so: the last valid day, never the next."""
    from zoneinfo import ZoneInfo

    world.set_zone(zone)
    tz = ZoneInfo(zone)
    issued, page = _phone_pass(c, world, "2026-11-01", "2026-12-31")
    assert datetime.fromisoformat(issued["valid_from"]) == datetime(2026, 11, 1, tzinfo=tz)
    assert datetime.fromisoformat(issued["valid_until"]) == datetime(2027, 1, 1, tzinfo=tz)
    assert "通行证有效期至 2026-12-31（含当天）" in page and "2027-01-01" not in page
    body = {"person_id": world.people["li"], "form": "PHONE"}
    # one day is a whole day; a window that ends before it starts, or past the token's range, is refused
    one_day = {**body, "valid_from": "2026-12-05", "valid_until": "2026-12-05"}
    assert c.call("POST", "/api/v1/passes", json=one_day).status_code == 201
    for start, end, why in (
        ("2026-12-05", "2026-12-04", "valid_until is not after valid_from"),
        ("2026-12-05", "9999-12-31", "valid_until must lie between"),
        ("0001-01-01", "2026-12-04", "valid_from must lie between"),
        ("2026-12-05", "2026-02-30", "bad date '2026-02-30' (use YYYY-MM-DD)"),
    ):
        r = c.call("POST", "/api/v1/passes", json={**body, "valid_from": start, "valid_until": end})
        assert r.status_code == 422 and why in r.text, (start, end, r.text)


def _card(holder: str) -> PassCard:
    return PassCard(
        serial="CG-01-000007",
        campus_zh="坞城校区",
        campus_en="Wucheng",
        household="5-1-101",
        holder=holder,
        kind="FOREIGN_TEACHER",
        valid_from=datetime(2026, 11, 30, 16, 30, tzinfo=UTC),
        valid_until=datetime(2026, 12, 31, tzinfo=UTC),  # 08:00 in Beijing: the longest validity row
        timezone="Asia/Shanghai",
        qr="x",
    )


LONG_NAME = "长" * 60 + "W" * 80  # the API takes 200 characters


def test_a_long_name_is_fitted_to_the_card(tmp_path: Path) -> None:
    """Measured with the embedded font's own widths: no text runs past the card's margin, nor into
    the QR code beside it; the name shrinks to the floor, wraps to a second row and is cut with "…"."""
    font = pdf_font()
    qr_left, qr_top = CARD_W - QR_PAD - QR_SIDE, QR_PAD + QR_SIDE
    placed = layout(_card(LONG_NAME), lambda s, size: stringWidth(s, font, size), drawable)
    for text in placed:
        end = text.x + stringWidth(text.text, font, text.size)
        beside_qr = text.y + getDescent(font, text.size) < qr_top
        assert end <= (qr_left if beside_qr else CARD_W - PAD) + 0.01, text
        assert text.size >= MIN_SIZE
    name = [t for t in placed if t.text.startswith("长") or t.text.startswith("W")]
    assert len(name) == 2 and name[1].text.endswith("…") and name[0].size == MIN_SIZE
    assert LONG_NAME.startswith(name[0].text + name[1].text.removesuffix("…"))
    short = [
        t for t in layout(_card("梁思敏"), lambda s, size: stringWidth(s, font, size)) if t.text == "梁思敏"
    ]
    assert [t.size for t in short] == [TEXT_SIZE]  # a name that fits keeps its size


def test_a_long_name_stays_on_its_own_card_of_the_sheet(tmp_path: Path) -> None:
    """On the A4 sheet (two cards a row), as poppler reads the PDF: every word ends inside its card."""
    pdf = render_pdf(
        [_card(LONG_NAME), _card("Wolfgang Amadeus Mozart von Salzburg und Wien, Kapellmeister")] * 2,
        sheet=True,
    )
    assert_fonts_embedded(pdf, tmp_path)
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    html = subprocess.run(
        ["pdftotext", "-bbox", str(tmp_path / "sheet.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', html)
    assert len(words) > 40
    lefts = (15 * mm, 15 * mm + CARD_W + 4 * mm)  # the sheet's two columns
    for x_min, x_max in ((float(a), float(b)) for a, b in words):
        left = max(c for c in lefts if c <= x_min + 0.5)
        assert x_max <= left + CARD_W - PAD + 0.5, (x_min, x_max)


def test_a_character_the_font_cannot_draw_prints_as_a_placeholder(tmp_path: Path) -> None:
    """An emoji (and its variation selector) has no glyph in WenQuanYi: a visible □, never a blank."""
    assert drawable("张😀\ufe0f伟") == f"张{PLACEHOLDER}伟"
    assert drawable("梁思敏 Liang\u3000Simin") == "梁思敏 Liang\u3000Simin"
    pdf = render_pdf([_card("张😀伟")])
    assert_fonts_embedded(pdf, tmp_path)
    assert f"张{PLACEHOLDER}伟" in pdf_text(pdf, tmp_path)


def test_the_png_card_fits_a_long_name_too() -> None:
    """The PNG draws the same layout with its own font's widths: the name is cut, the code still reads."""
    card = dataclasses.replace(_card(LONG_NAME), qr="CG-TEST")
    assert decoded(Image.open(io.BytesIO(render_png(card)))) == ["CG-TEST"]
