"""The live dashboard in headless Chromium shows each time as the wall clock of the gate's campus
(Europe/Berlin, Asia/Urumqi here), not Beijing time and not the browser's own zone (New York)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session

from central.api.auth import SESSION_COOKIE, issue_session
from central.app import CentralHandle, build_central
from central.models.journal import FeverAlert, GateOutage, GateState
from central.models.registry import Gate
from central.models.users import Role
from central.office import registry
from central.office.users import create_user
from tests.integration.conftest import central_settings

# 01:02:03 UTC on a summer day: 03:02:03 in Berlin (CEST), 07:02:03 in Urumqi, 09:02:03 in Beijing,
# 21:02:03 the day before in New York
AT = datetime(2026, 7, 1, 1, 2, 3, tzinfo=UTC)
GATES = {"zone-berlin": "03:02:03", "zone-urumqi": "07:02:03"}


@pytest.fixture
def central(broker, tmp_path: Path) -> Iterator[CentralHandle]:
    """Central with a Berlin campus (the first: the page's own zone) and an Urumqi one, a gate each,
    both gates offline since ``AT``, and a fever alert at the Berlin gate at ``AT``."""
    handle = build_central(central_settings(broker.port, tmp_path))
    with Session(handle.engine) as s:
        for gate_id, (code, zone) in zip(
            GATES, (("berlin", "Europe/Berlin"), ("urumqi", "Asia/Urumqi")), strict=True
        ):
            campus = registry.add_campus(s, code=code, name_zh=f"{code}校区", timezone=zone)
            s.add(Gate(gate_id=gate_id, campus_id=campus.id, name_zh="正门"))
            s.add(GateState(gate_id=gate_id, state="offline", last_seen=AT))
            s.add(GateOutage(gate_id=gate_id, went_offline_at=AT))
        s.add(FeverAlert(event_id="zone-fever", gate_id="zone-berlin", celsius=38.4, created_at=AT))
        s.commit()
    handle.start()
    yield handle
    handle.stop()


def test_dashboard_times_are_in_each_gates_campus_zone(central: CentralHandle, browser: Browser) -> None:
    assert central.app is not None and central.api_url is not None
    with Session(central.engine) as s:
        user = create_user(s, f"zone-{time.monotonic_ns()}", "pw-123456", [Role.SECURITY])
        s.commit()
        cookie = issue_session(central.app, user)
    context = browser.new_context(locale="zh-CN", timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": central.api_url}])
        page.goto(f"{central.api_url}/dashboard")
        expect(page.locator("#conn")).to_have_text("实时 live", timeout=5000)
        assert page.evaluate("new Date().getTimezoneOffset()") in (240, 300)  # the browser is in New York
        for gate_id, wall in GATES.items():
            since = page.locator(f'#gates tr[data-gate="{gate_id}"] .since')
            expect(since).to_have_text(f"离线自 offline since {wall}", timeout=5000)
        # the alert and its one-hour deadline, to the minute, in Berlin
        alert = page.locator("#alerts li").first
        expect(alert).to_contain_text("03:02", timeout=5000)
        expect(alert).to_contain_text("须在 04:02 前上报")
        assert "09:02" not in alert.inner_text() and "21:02" not in alert.inner_text()
    finally:
        context.close()
