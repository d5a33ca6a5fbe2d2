"""The office's day in real headless Chromium on the demo campuses, with the screenshots of the README
(docs/screens/): each role's first page, refusals as pages, lists with a pager and exact address
search, a policy change previewed then confirmed, a confirmed gate closing, the fever banner folded to
a count, daily reports made and downloaded, and a resident's phone page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from central.app import CentralHandle
from central.models.journal import FeverAlert
from central.models.registry import Gate, Household, Person
from central.office.users import seed_demo_users
from tests.screens import screens_dir

SCREENS = screens_dir()


def shot(page: Page, name: str) -> None:
    """A small PNG for the README (viewport only, 1280×800 at most)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path))
    # a palette of 64 colours keeps the README's images small; text stays sharp
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def log_in(page: Page, base: str, username: str, landing: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    page.click("#login")
    page.wait_for_url(f"{base}{landing}")


def test_console_screens(central: CentralHandle, page: Page) -> None:
    base = central.api_url
    assert base is not None
    with Session(central.engine) as s:
        seed_demo_users(s)
        s.commit()
        gate = s.exec(select(Gate).order_by(Gate.gate_id)).first()
        household = s.exec(select(Household).where(Household.building != "")).first()
        assert gate is not None and household is not None

    # 13: each role lands on its most useful page; a guard's /dashboard is a page, not JSON
    for role, landing in (
        ("guard", "/console/gates"),
        ("approver", "/console/approvals?status=requested"),
        ("auditor", "/console/entries"),
        ("director", "/dashboard"),
    ):
        log_in(page, base, role, landing)
    log_in(page, base, "guard", "/console/gates")
    page.goto(f"{base}/dashboard")
    expect(page.locator("#refused")).to_contain_text("无权限")
    shot(page, "refused-guard-dashboard")
    # 10: login from /dashboard comes back to it
    page.context.clear_cookies()
    page.goto(f"{base}/dashboard")
    page.fill("#username", "director")
    page.fill("#password", "director-demo")
    page.click("#login")
    page.wait_for_url(f"{base}/dashboard")

    # 12: people: pager, exact building-unit-room search, household label
    log_in(page, base, "security", "/console/households")
    page.goto(f"{base}/console/people")
    expect(page.locator("#next")).to_be_visible()
    assert page.locator("#people tr").count() == 51  # a page of 50 and the header
    address = f"{household.building}-{household.unit}-{household.room}"
    page.fill("#q", address)
    page.click("#search")
    labels = page.locator("#people td.household").all_inner_texts()
    assert household.label in labels and all(label.endswith(f" {address}") for label in labels)  # exact parts
    shot(page, "people-search")
    page.goto(f"{base}/console/entries?since=2026-11-29T10:00&until=2026-11-29T09:00")
    expect(page.locator(".field-error")).to_contain_text("起始时间必须早于截止时间")

    # 8: a policy change is previewed, then confirmed; a bad value reads in Chinese
    page.goto(f"{base}/console/policy")
    version = int(page.locator("#version").inner_text())
    page.fill("#f-fever_threshold", "hot")
    page.click("#save")
    expect(page.locator("#err-fever_threshold")).to_contain_text("请输入数字")
    page.fill("#f-fever_threshold", "37.5")
    page.click("#save")
    expect(page.locator("#preview #change-fever_threshold .new")).to_have_text("37.5")
    assert page.locator("#version").inner_text() == str(version)  # nothing saved yet
    shot(page, "policy-preview")
    page.click("#confirm")
    expect(page.locator("#version")).to_have_text(str(version + 1))

    # 8: closing a gate asks first
    page.goto(f"{base}/console/gates")
    page.once("dialog", lambda d: d.dismiss())
    page.locator(f"#gate-{gate.gate_id} .switch").click()
    expect(page.locator(f"#gate-{gate.gate_id} .open")).to_have_text("开放 Open")
    page.once("dialog", lambda d: d.accept())
    page.locator(f"#gate-{gate.gate_id} .switch").click()
    expect(page.locator(f"#gate-{gate.gate_id} .open")).to_have_text("关闭 Closed")

    # 9: twenty alerts fold to a count and the latest; an auditor has no acknowledge button
    with Session(central.engine) as s:
        for n in range(20):
            s.add(
                FeverAlert(
                    event_id=str(uuid.uuid4()),
                    gate_id=gate.gate_id,
                    campus_id=gate.campus_id,
                    celsius=38.0 + n / 10,
                    created_at=datetime.now(UTC),
                )
            )
        s.commit()
    page.goto(f"{base}/console/people")
    expect(page.locator("#alert-count")).to_contain_text("20 条未确认", timeout=5000)
    assert page.locator("#alert-list li").count() == 1
    assert page.locator("#alerts").bounding_box()["height"] < 200  # type: ignore[index]
    expect(page.locator("#alert-sound")).to_be_visible()
    shot(page, "fever-banner")
    log_in(page, base, "auditor", "/console/entries")
    expect(page.locator("#alert-list li")).to_have_count(1, timeout=5000)
    assert page.locator("#alerts .ack").count() == 0
    log_in(page, base, "guard", "/console/gates")  # the guard's first page: gate states and fever alerts
    expect(page.locator("#alert-list li")).to_have_count(1, timeout=5000)
    assert page.locator("#alerts .ack").count() == 0
    shot(page, "guard-gates")

    # 10: reports: make now, download, sign
    log_in(page, base, "director", "/dashboard")
    page.goto(f"{base}/console/reports")
    page.click("#make-now")
    expect(page.locator("#message")).to_be_visible()
    row = page.locator("#reports tr[id^=report-]").first
    pdf = httpx.get(
        base + row.locator("a.pdf").get_attribute("href"),
        cookies={  # type: ignore[operator]
            c["name"]: c["value"] for c in page.context.cookies()
        },
        timeout=10,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    row.locator(".sign").click()
    expect(page.locator("#reports tr[id^=report-]").first.locator(".signed")).to_contain_text("director")
    shot(page, "reports")

    # 14: the office issues a phone pass and the resident's page says what today holds
    with Session(central.engine) as s:
        person = s.exec(select(Person).where(Person.household_id == household.id)).first()
        assert person is not None
    log_in(page, base, "security", "/console/households")
    page.goto(f"{base}/console/passes")
    page.fill("#f-person_id", str(person.id))
    page.fill("#f-valid_from", datetime.now(UTC).date().isoformat())
    page.fill("#f-valid_until", "2026-12-31")
    page.select_option("#f-form", "PHONE")
    page.click("#issue")
    page.locator(".phone-link").first.click()
    said = page.locator("#message").inner_text().strip()
    assert said.startswith("手机通行链接：") and "Phone pass link: " in said
    link = said.rsplit(" ", 1)[1]
    assert "/p/" in link
    page.goto(link)
    expect(page.locator("#validity")).to_contain_text("2026-12-31")
    expect(page.locator("#rules")).to_contain_text("本校区现行规定")
    expect(page.locator("#today")).to_be_visible()
    page.set_viewport_size({"width": 400, "height": 800})
    shot(page, "phone-page")
