"""A campus stored with a zone the zone database refuses (``localtime``, ``Asia/Shangai``: written before
the check on write): every page, card, window and import reads its times through the one fallback
(``DEFAULT_TZ``), while deciding, configs and reports refuse to guess its day, and say so."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from central.app import build_central
from central.models.db import session_scope
from central.models.health import NucleicTest
from central.models.registry import Campus, CampusPolicyRow, Gate, Pass
from central.office import registry, reports
from central.office.errors import Invalid
from central.office.zones import bad_zones
from central.settings import CentralSettings
from gatecore.campus import CampusPolicy
from tests.central.conftest import NOW, World
from tests.central.console_helpers import Client
from tests.central.office.pdf_checks import pdf_text
from tests.central.office.test_nucleic import HEADER, add_student

BAD = ["localtime", "Asia/Shangai"]  # a link to the server's own zone; a misspelling


def store_zone(world: World, zone: str, campus_id: int | None = None) -> None:
    """What an older version (or a hand edit) left: the campus row and its newest policy in ``zone``."""
    cid = campus_id or world.campus_id
    with session_scope(world.engine) as s:
        row = s.exec(
            select(CampusPolicyRow)
            .where(CampusPolicyRow.campus_id == cid)
            .order_by(col(CampusPolicyRow.version).desc())
        ).first()
        assert row is not None
        row.policy_json = json.dumps({**json.loads(row.policy_json), "timezone": zone})
        campus = s.get(Campus, cid)
        assert campus is not None
        campus.timezone = zone


@pytest.fixture
def c(world: World, tmp_path: Path) -> Client:
    return Client(world, tmp_path)


@pytest.mark.parametrize("zone", BAD)
def test_a_pass_s_days_are_the_days_its_card_prints(
    c: Client, world: World, tmp_path: Path, zone: str
) -> None:
    # passes.campus_window read the zone itself: "localtime" cut the window on the server's days (UTC
    # here) while the card and the lists showed Beijing's; "Asia/Shangai" failed the request
    store_zone(world, zone)
    body = {"person_id": world.people["zhang"], "valid_from": "2026-12-01", "valid_until": "2026-12-31"}
    r = c.call("POST", "/api/v1/passes", json=body)
    assert r.status_code == 201, r.text
    (issued,) = r.json()
    with Session(c.engine) as s:
        row = s.get(Pass, issued["id"])
        assert row is not None
        assert row.valid_from.astimezone(UTC) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Beijing midnight
    card = pdf_text(c.call("GET", f"/api/v1/passes/{issued['id']}/card.pdf").content, tmp_path)
    assert "2026-12-01 – 2026-12-31" in card
    c.log_in("security")
    page = c.http.get("/console/passes").text
    row_html = page.split(f'<tr id="pass-{issued["id"]}">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="until">2026-12-31</td>' in row_html


@pytest.mark.parametrize("zone", BAD)
def test_the_phone_page_reads_the_campus_s_clock_through_the_fallback(
    c: Client, world: World, zone: str
) -> None:
    now = datetime.now(UTC)
    body = {
        "person_id": world.people["zhang"],
        "form": "PHONE",
        "valid_from": (now - timedelta(hours=1)).isoformat(),
        "valid_until": (now + timedelta(days=7)).isoformat(),
    }
    assert c.call("POST", "/api/v1/passes", json=body).status_code == 201
    url = c.call("POST", f"/api/v1/people/{world.people['zhang']}/phone-link").json()["url"]
    store_zone(world, zone)
    page = c.http.get("/p/" + url.rsplit("/p/", 1)[1])
    assert page.status_code == 200, page.text  # it failed on the misspelling
    assert 'data-tz="Asia/Shanghai"' in page.text  # "localtime" would have no meaning in a browser


def test_a_card_of_a_campus_with_a_misspelt_zone_prints(c: Client, world: World, tmp_path: Path) -> None:
    store_zone(world, "Asia/Shangai")
    r = c.call("GET", f"/api/v1/passes/{world.passes['zhang']}/card.pdf")
    assert r.status_code == 200 and "坞城校区" in pdf_text(r.content, tmp_path)


def test_results_are_read_in_the_clock_the_testing_page_shows(c: Client, world: World) -> None:
    student = add_student(world, "s1", "孙小红", last4="1234", number="A1")
    store_zone(world, "localtime")
    sheet = f"{HEADER}\n孙小红,1234,A1,2026-11-24 08:00,阴性".encode()
    r = c.call(
        "POST",
        "/api/v1/imports/nucleic-tests",
        files={"file": ("r.csv", sheet)},
        data={"dry_run": "false", "campus_id": str(world.campus_id)},
    )
    assert r.status_code == 200, r.text
    with Session(c.engine) as s:
        test = s.exec(select(NucleicTest).where(NucleicTest.person_id == student)).one()
    # 08:00 in Beijing, the zone the page shows it in (it was 08:00 on the server's clock)
    assert test.sampled_at.astimezone(UTC) == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", BAD)
def test_a_report_is_not_counted_on_a_guessed_day(zone: str) -> None:
    with pytest.raises(Invalid, match="not in the IANA database"):
        reports.period(date(2026, 11, 24), time(15), zone)  # "localtime" counted the server's day


def test_deciding_never_reads_the_server_s_zone() -> None:
    policy = CampusPolicy(1, timezone="localtime")
    with pytest.raises(LookupError, match="not in the IANA database"):
        policy.local_date(NOW)  # "localtime" read the server's day, whatever the campus's


def test_one_campus_s_bad_zone_keeps_no_other_gate_from_its_config(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with session_scope(world.engine) as s:
        other = registry.add_campus(s, code="ok", name_zh="长风校区")
        assert other.id is not None
        s.add(Gate(gate_id="ok-east", campus_id=other.id, name_zh="东门"))
    store_zone(world, "Asia/Shangai")
    with Session(world.engine) as s, caplog.at_level(logging.ERROR):
        configs = registry.gate_configs(s, [world.gate_id, "ok-east"], {}, NOW)
    assert [cfg.gate_id for cfg in configs] == ["ok-east"]  # every gate's config failed on the one campus
    assert f"campus {world.campus_id}: policy v1 not sent" in caplog.text and "Asia/Shangai" in caplog.text


def test_central_names_each_campus_with_an_unusable_zone_at_start_up(
    world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with session_scope(world.engine) as s:
        other = registry.add_campus(s, code="cf", name_zh="长风校区")
        good = registry.add_campus(s, code="nzh", name_zh="南中环校区")
    store_zone(world, "localtime")
    store_zone(world, "Asia/Shangai", other.id)
    with Session(world.engine) as s:
        assert [(b.campus_id, b.value) for b in bad_zones(s)] == [
            (world.campus_id, "localtime"),
            (other.id, "Asia/Shangai"),
        ]
    url = world.engine.url.render_as_string(hide_password=False)
    settings = CentralSettings(database_url=url, data_dir=tmp_path, api_port=0)
    with caplog.at_level(logging.WARNING, logger="central.office.zones"):
        build_central(settings, api=False, worker=False).engine.dispose()
    said = [r.getMessage() for r in caplog.records if r.name == "central.office.zones"]
    assert len(said) == 2 and not any(f"campus {good.id} " in m for m in said)
    assert "'localtime', which is not in the IANA database" in said[0]
    assert "policy page" in said[0] and '{"changes": {"timezone": "Asia/Shanghai"}}' in said[0]
    assert f"campus {other.id} (cf) has time zone 'Asia/Shangai'" in said[1]
