"""The live dashboard in real headless Chromium: a fever at a simulated gate shows within two seconds,
with a sound, on every open console until acknowledged; a gate whose agent dies shows offline."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect
from sqlmodel import Session

from central.api.auth import SESSION_COOKIE, issue_session
from central.app import CentralHandle
from central.models.journal import FeverAlert
from central.models.registry import Person
from central.models.users import Role
from central.office.users import create_user
from firmware_sim.scenario import Arrival
from gatecore.reasons import REASONS, Reason

GATE = "wucheng-north"


def _login(central: CentralHandle, page: Page, role: Role) -> None:
    assert central.app is not None and central.api_url is not None
    with Session(central.engine) as s:
        user = create_user(s, f"dash-{role}-{time.monotonic_ns()}", "pw-123456", [role])
        s.commit()
        cookie = issue_session(central.app, user)
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": central.api_url}])
    page.goto(f"{central.api_url}/dashboard")
    expect(page.locator("#conn")).to_have_text("实时 live", timeout=5000)


def test_fever_alert_at_once_on_every_console_and_a_killed_gate_goes_offline(
    central, passes, rig, page, browser
) -> None:
    gate = rig(GATE)
    _login(central, page, Role.SECURITY)
    other = browser.new_context(locale="zh-CN").new_page()
    office = browser.new_context(locale="zh-CN").new_page()  # the office at work on the people list
    try:
        _login(central, other, Role.DIRECTOR)
        _login(central, office, Role.SECURITY)
        office.goto(f"{central.api_url}/console/people")
        expect(office.locator("#alerts")).not_to_have_class("on")
        state = page.locator(f'#gates [data-gate="{GATE}"] .state')
        expect(state).to_have_text("在线 online", timeout=10_000)

        resident = next(p for p in passes if p.role == "resident" and p.campus_code == "wucheng")
        view = gate.visit(Arrival(GATE, resident.token, 38.7))
        shown_at_gate = time.monotonic()
        assert view.reason is Reason.FEVER
        for console in (page, other):
            expect(console.locator("#alerts.on li")).to_have_count(1, timeout=2000)
        assert time.monotonic() - shown_at_gate < 2.0
        # the gate, the person, the incident's state and the one-hour deadline, in Chinese first
        with Session(central.engine) as s:
            holder = s.get(Person, resident.person_id).name  # type: ignore[union-attr]
        for words in ("38.7", "北门", holder, "待处置", "须在"):
            expect(page.locator("#alerts li").first).to_contain_text(words, timeout=3000)
        expect(page.locator("#alert-count")).to_contain_text("1 条未确认")
        page.locator("#alert-sound").click()  # browsers play the beep only after a click
        expect(page.locator("#alert-sound")).to_be_disabled()
        assert page.evaluate("window.beeps") >= 1 and other.evaluate("window.beeps") >= 1
        expect(office.locator("#alerts.on li")).to_have_count(1, timeout=4000)  # polled every 1.5 s
        assert (
            "38.7" in office.locator("#alerts li").first.inner_text() and office.evaluate("window.beeps") == 1
        )
        expect(page.locator('#feed li[data-reason="fever"]')).to_have_count(1, timeout=2000)
        expect(page.locator('#refusals rect[data-reason="fever"]')).to_have_count(1, timeout=5000)
        # Chinese first with English beside it: the feed's line and the chart's label
        fever = REASONS[Reason.FEVER]
        expect(page.locator('#feed li[data-reason="fever"]')).to_contain_text(f"进 in {fever.zh} {fever.en}")
        expect(page.locator("#refusals")).to_contain_text(fever.zh)
        expect(page.locator("#refusals")).to_contain_text(fever.en)

        page.locator("#alerts li button").first.click()
        for console in (page, other, office):
            expect(console.locator("#alerts")).not_to_have_class("on", timeout=4000)
        with Session(central.engine) as s:
            [alert] = [a for a in s.exec(__import__("sqlmodel").select(FeverAlert)) if a.gate_id == GATE]
            assert alert.acknowledged_at is not None

        gate.agent.stop(graceful=False)  # type: ignore[attr-defined]  # the socket drops: the broker sends the Will
        expect(state).to_have_text("离线 offline", timeout=5000)
        expect(other.locator(f'#gates [data-gate="{GATE}"] .state')).to_have_text(
            "离线 offline", timeout=5000
        )
    finally:
        office.context.close()
        other.context.close()
        page.close()  # before central stops: the event stream ends with its page
