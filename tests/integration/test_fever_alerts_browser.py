"""The fever-alerts page in headless Chromium (the browser in Tokyo): the banner links to it, an officer
acknowledges an open alert with the row's button and the row then names them and when, beside an
alert of a New York campus acknowledged earlier, each on its campus's clock; screenshots in Chinese
and in English for a look at the layout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from central.app import CentralHandle, build_central
from central.models.journal import FeverAlert
from central.models.registry import Gate
from central.office import dashboard, registry
from central.office.zones import campus_zone
from tests.central.conftest import NOW, build_world
from tests.integration.conftest import central_settings
from tests.integration.officer import officer_page

GATE = "feverpage-north"
OFFICER = "officer-li"


@pytest.fixture
def central(broker, tmp_path: Path) -> Iterator[CentralHandle]:
    """The small campus of the central tests (Beijing) where 赵老师 scanned at 38.6 through the decision
    service, and a New York campus whose fever alert the director acknowledged an hour after it."""
    handle = build_central(central_settings(broker.port, tmp_path))
    world = build_world(handle.engine, handle.keyring, gate_id=GATE)
    assert world.service.handle(*world.scan("staff", celsius=38.6, at=NOW), NOW)
    with Session(handle.engine) as s:
        ny = registry.add_campus(
            s, code="ny", name_zh="纽约校区", name_en="New York", timezone="America/New_York"
        )
        s.add(Gate(gate_id="feverpage-ny", campus_id=ny.id, name_zh="东门"))
        s.add(
            FeverAlert(event_id="ny-1", gate_id="feverpage-ny", campus_id=ny.id, celsius=39.1, created_at=NOW)
        )
        s.commit()
        ny_alert = s.exec(select(FeverAlert.id).where(FeverAlert.event_id == "ny-1")).one()
        assert dashboard.acknowledge(s, ny_alert, NOW + timedelta(hours=1), by="director")
        s.commit()
    handle.start()
    yield handle
    handle.stop()


@pytest.fixture
def office(central: CentralHandle, browser: Browser) -> Iterator[Page]:
    """A security officer's page in a browser in Tokyo (neither campus's zone)."""
    with officer_page(central, browser, OFFICER, viewport={"width": 1280, "height": 800}) as page:
        yield page


def test_an_officer_acknowledges_on_the_page_and_the_row_names_them(
    central: CentralHandle, office: Page, tmp_path: Path
) -> None:
    base = central.api_url
    with Session(central.engine) as s:
        alerts = s.exec(select(FeverAlert).order_by(col(FeverAlert.id))).all()
    fever, ny = (a.id for a in alerts)

    office.goto(f"{base}/console/gates")
    expect(office.locator("#alerts.on li")).to_have_count(1, timeout=5000)  # the banner: the open one
    office.click("#alerts-page")
    office.wait_for_url(f"{base}/console/fevers")
    row = office.locator(f"#fever-{fever}")
    expect(row.locator(".at")).to_have_text("2026-11-23 10:00:00 Asia/Shanghai")  # 02:00 UTC
    expect(row.locator(".person")).to_have_text("赵老师")
    expect(row.locator(".reading")).to_have_text("38.6 °C")
    expect(row.locator(".incident")).to_contain_text("待处置 open")
    expect(row.locator(".acknowledged")).to_contain_text("未确认 not acknowledged")
    old = office.locator(f"#fever-{ny}")
    expect(old.locator(".at")).to_have_text("2026-11-22 21:00:00 America/New_York")
    expect(old.locator(".acknowledged")).to_have_text("director 2026-11-22 22:00:00")

    office.screenshot(path=str(tmp_path / "fevers-open-zh.png"), full_page=True)  # the banner above it
    before = datetime.now(UTC)
    row.locator("button.ack").click()
    # the page again, naming who and when
    expect(row.locator(".acknowledged")).to_contain_text(OFFICER, timeout=5000)
    expect(row.locator("button.ack")).to_have_count(0)
    with Session(central.engine) as s:
        acked = s.get(FeverAlert, fever)
        assert acked is not None and acked.acknowledged_by == OFFICER and acked.acknowledged_at is not None
        zone = campus_zone(s, acked.campus_id)
    assert before - timedelta(seconds=1) <= acked.acknowledged_at
    shown = acked.acknowledged_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    expect(row.locator(".acknowledged")).to_have_text(f"{OFFICER} {shown}")
    expect(office.locator("#alerts")).not_to_have_class("on", timeout=5000)  # gone from the banner
    office.screenshot(path=str(tmp_path / "fevers-zh.png"), full_page=True)

    office.select_option("#f-show", "open")
    office.click("#filter")
    expect(office.locator("#count")).to_have_text("0")
    office.click("#lang")  # English alone
    office.goto(f"{base}/console/fevers")
    expect(office.locator("#fevers th").nth(7)).to_have_text("Acknowledged by, at")
    office.screenshot(path=str(tmp_path / "fevers-en.png"), full_page=True)
