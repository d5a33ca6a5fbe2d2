"""The console in headless Chromium (the browser in Tokyo) with a campus in New York beside one in
Beijing: the entry log, the gates, the reports and the fever-alert banner show each campus's times on
its own clock with the zone named, and times typed into the log's filter are the chosen campus's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from central.app import CentralHandle, build_central
from central.decisions.service import DecisionService
from central.models.journal import FeverAlert, GateState
from central.models.registry import Gate
from central.models.reports import OFFICE, DailyReport
from central.office import registry, reports
from gatecore import topics
from gatecore.messages import ScanEvent, Temperature
from gatecore.thermoline import SensorStatus
from tests.central.conftest import event_id
from tests.integration.conftest import central_settings
from tests.integration.officer import officer_page

# 01:02:03 UTC on a summer day: 21:02:03 the day before in New York (EDT), 09:02:03 in Beijing
AT = datetime(2026, 7, 2, 1, 2, 3, tzinfo=UTC)
GATES = {"ny-east": ("newyork", "America/New_York"), "bj-east": ("beijing", "Asia/Shanghai")}


@pytest.fixture
def central(broker, tmp_path: Path) -> Iterator[CentralHandle]:
    """A Beijing and a New York campus with a gate each, both last seen at ``AT``; a refused scan at
    each gate received at ``AT``; a fever alert at the New York gate and a report of New York's."""
    handle = build_central(central_settings(broker.port, tmp_path))
    campus_ids = {}
    with Session(handle.engine) as s:
        handle.keyring.register(s)
        for gate_id, (code, zone) in GATES.items():
            campus = registry.add_campus(s, code=code, name_zh=f"{code}校区", timezone=zone)
            campus_ids[code] = campus.id
            s.add(Gate(gate_id=gate_id, campus_id=campus.id, name_zh="东门"))
            s.add(GateState(gate_id=gate_id, state="online", last_seen=AT))
        s.add(
            FeverAlert(
                event_id="ny-fever",
                gate_id="ny-east",
                campus_id=campus_ids["newyork"],
                celsius=38.4,
                created_at=AT,
            )
        )
        s.commit()
    service = DecisionService(handle.engine, handle.keyring)
    for n, gate_id in enumerate(GATES, 1):
        scan = ScanEvent(
            event_id=event_id(AT),
            gate_id=gate_id,
            seq=n,
            gate_time=AT,
            qr="https://u.wechat.com/not-a-pass",  # a refusal: a row of the log all the same
            temperature=Temperature(36.5, SensorStatus.OK),
        )
        assert service.handle(topics.gate_events(gate_id), scan.to_json(), AT)
    with Session(handle.engine) as s:
        reports.make_report(s, campus_ids["newyork"], date(2026, 7, 1), OFFICE, AT)
        s.commit()
    handle.start()
    yield handle
    handle.stop()


@pytest.fixture
def office(central: CentralHandle, browser: Browser) -> Iterator[Page]:
    """A security officer's page in a browser in Tokyo (neither campus's zone, nor UTC)."""
    with officer_page(central, browser, f"zone-{time.monotonic_ns()}") as page:
        yield page


def _row(page: Page, table: str, text: str) -> str:
    return page.locator(f"#{table} tr", has_text=text).first.inner_text()


def test_each_campus_s_times_are_on_its_own_clock_and_named(central: CentralHandle, office: Page) -> None:
    base = central.api_url
    office.goto(f"{base}/console/entries")
    rows = office.locator("#entries tr[id^=entry-]")
    expect(rows).to_have_count(2)
    shown = {
        rows.nth(i).locator("td").nth(2).inner_text(): rows.nth(i).locator("td").nth(1).inner_text()
        for i in range(2)
    }
    assert shown == {
        "ny-east": "2026-07-01 21:02:03 America/New_York",
        "bj-east": "2026-07-02 09:02:03 Asia/Shanghai",
    }

    # a window typed in New York's clock, with New York chosen, finds New York's row
    office.select_option("#f-campus_id", label="newyork校区")
    office.fill("#f-since", "2026-07-01T21:00")
    office.fill("#f-until", "2026-07-01T21:05")
    office.click("#filter")
    expect(office.locator("#count")).to_have_text("1")
    expect(office.locator("#filter-tz")).to_have_text("America/New_York")

    office.goto(f"{base}/console/gates")
    assert "2026-07-01 21:02:03 America/New_York" in office.locator("#gate-ny-east .last-seen").inner_text()
    assert "2026-07-02 09:02:03 Asia/Shanghai" in office.locator("#gate-bj-east .last-seen").inner_text()

    # the banner on a console page: the alert and its one-hour deadline on New York's clock, named
    alert = office.locator("#alerts li").first
    expect(alert).to_contain_text("21:02 (America/New_York)", timeout=5000)
    expect(alert).to_contain_text("须在 22:02 前上报")
    assert "09:02" not in alert.inner_text() and "10:02" not in alert.inner_text()  # Beijing, Tokyo

    office.goto(f"{base}/console/reports")
    office.select_option("#campus", label="newyork校区")
    office.click("#show")
    assert "America/New_York" in office.locator("#reports tr").first.inner_text()
    with Session(central.engine) as s:  # the scheduler's own, made now, are listed above it
        ours = s.exec(select(DailyReport.id).where(DailyReport.made_at == AT)).one()
    assert office.locator(f"#report-{ours} .made").inner_text() == "2026-07-01 21:02:03"
