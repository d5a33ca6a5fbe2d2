"""The security office in a real headless Chromium: log in, import a CSV, approve a staff member as
an approver, issue and download a pass card PDF, revoke it, see the gate refuse it, and find the
refusal in the entry log."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from central.app import CentralHandle, build_central
from central.models.registry import Approval, Gate, Pass, Person
from central.office import registry
from central.office.users import seed_demo_users
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.messages import DecisionMessage, GateConfig, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.tokens import verify_token
from tests.central.office.test_passcards import pdf_qr_texts
from tests.integration.conftest import central_settings
from transport.mqtt import LinkOptions, MqttLink

GATE = "console-north"
CSV = "\n".join(
    [
        "校区,楼号,单元,房号,姓名,身份证号,类别,电话",
        "坞城校区,5,1,101,刘一,140102198001011234,住户,13800000001",
        "坞城校区,5,1,101,刘二,140102198201011235,住户,",
        "坞城校区,,,,吴老师,140102197001011237,教职工,",
    ]
).encode("gbk")


@pytest.fixture
def central(broker, tmp_path: Path) -> Iterator[CentralHandle]:
    """Central with one campus, one gate and the demo users, no people yet."""
    handle = build_central(central_settings(broker.port, tmp_path))
    with Session(handle.engine) as s:
        campus = registry.add_campus(s, code="wucheng", name_zh="坞城校区", name_en="Wucheng")
        s.add(Gate(gate_id=GATE, campus_id=campus.id, name_zh="北门", name_en="North gate"))
        seed_demo_users(s)
        s.commit()
    handle.start()
    yield handle
    handle.stop()


def log_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    page.click("#login")
    page.wait_for_url(lambda url: "/console/login" not in url)  # each role lands on its own first page


def person_id(central: CentralHandle, name: str) -> int:
    with Session(central.engine) as s:
        return s.exec(select(Person.id).where(Person.name == name)).one()  # type: ignore[return-value]


def test_office_day_in_chromium(central: CentralHandle, broker, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = central.api_url
    assert base is not None
    page.goto(f"{base}/console/households")
    assert "/console/login?next=/console/households" in page.url  # anonymous: sent to log in, and back

    log_in(page, base, "security")
    page.click("#lang")  # the English toggle
    assert page.locator("nav").inner_text().count("Households") == 1
    page.click("#lang")

    page.goto(f"{base}/console/import")
    page.set_input_files("#file", files=[{"name": "住户.csv", "mimeType": "text/csv", "buffer": CSV}])
    assert page.is_checked("#dry_run")  # a dry run unless the office unticks it
    page.uncheck("#dry_run")
    page.click("#do_import")
    assert "已导入" in page.locator("#message").inner_text()  # after the redirect: a reload sends nothing
    staff = person_id(central, "吴老师")

    page.goto(f"{base}/console/approvals")
    page.fill("#f-person_id", str(staff))
    page.fill("#f-valid_from", date.today().isoformat())
    page.fill("#f-valid_until", "2025-01-01")  # before the start: a field error, nothing saved
    page.click("#request")
    assert "before" in page.locator("#error, .field-error").first.inner_text()
    page.fill("#f-valid_until", (date.today() + timedelta(days=60)).isoformat())
    page.click("#request")
    with Session(central.engine) as s:
        approval = s.exec(select(Approval).where(Approval.person_id == staff)).one()
    assert approval.status == "requested"
    assert page.locator(f"#approval-{approval.id} .approve").count() == 0  # the office cannot approve

    page.click("#logout")
    log_in(page, base, "approver")
    page.goto(f"{base}/console/approvals")
    page.click(f"#approval-{approval.id} .approve")
    assert page.locator(f"#approval-{approval.id} .status").get_attribute("data-status") == "approved"
    assert page.locator(f"#approval-{approval.id} .status").inner_text() == "已批准 approved"

    page.click("#logout")
    log_in(page, base, "security")
    resident = person_id(central, "刘一")
    page.goto(f"{base}/console/passes")
    page.fill("#f-person_id", str(resident))
    page.fill("#f-valid_from", date.today().isoformat())
    page.fill("#f-valid_until", (date.today() + timedelta(days=30)).isoformat())
    page.click("#issue")
    with Session(central.engine) as s:
        pass_id = s.exec(select(Pass.id).where(Pass.person_id == resident)).one()
    with page.expect_download() as download:
        page.click(f"#pass-{pass_id} a.pdf")
    pdf = Path(download.value.path()).read_bytes()
    (token,) = pdf_qr_texts(pdf, tmp_path)
    assert verify_token(token, central.keyring.public_keys(), datetime.now(UTC)).pass_id == pass_id

    configs: queue.Queue[GateConfig] = queue.Queue()
    decisions: queue.Queue[DecisionMessage] = queue.Queue()
    link = MqttLink(f"console-test-{os.getpid()}", LinkOptions(host="127.0.0.1", port=broker.port))
    link.subscribe(topics.gate_config(GATE), lambda t, p: configs.put(GateConfig.from_json(p)))
    link.subscribe(topics.gate_decisions(GATE), lambda t, p: decisions.put(DecisionMessage.from_json(p)))
    link.start(wait=10)
    try:
        assert pass_id not in configs.get(timeout=5).revoked  # the retained config before revoking
        page.once("dialog", lambda dialog: dialog.accept())  # revoking asks first
        page.click(f"#pass-{pass_id} .revoke")
        assert (
            "Revoked" in page.locator(f"#pass-{pass_id} .status").inner_text()
            or "已注销" in page.locator(f"#pass-{pass_id} .status").inner_text()
        )
        assert pass_id in configs.get(timeout=5).revoked  # re-published within seconds

        now = datetime.now(UTC)
        event = ScanEvent(
            event_id=uuid7(int(now.timestamp() * 1000), os.urandom(10)),
            gate_id=GATE,
            seq=1,
            gate_time=now,
            qr=token,
            temperature=Temperature(36.6, SensorStatus.OK),
            direction="in",
        )
        link.publish(topics.gate_events(GATE), event.to_json(), qos=1)
        decision = decisions.get(timeout=10)
        assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.PASS_REVOKED)
    finally:
        link.stop()

    page.click("#nav-entries")  # the entry log: filter to the refused scan
    page.select_option("#f-verdict", "deny")
    page.select_option("#f-reason", "pass_revoked")
    page.click("#filter")
    assert page.locator("#count").inner_text() == "1"
    row = page.locator('#entries tr[data-reason="pass_revoked"]')
    assert row.locator(".verdict").inner_text() == "禁止 deny" and GATE in row.inner_text()
    assert "reason=pass_revoked" in (page.locator("#csv").get_attribute("href") or "")
    page.select_option("#f-verdict", "allow")  # the filters narrow: no scan was let in
    page.click("#filter")
    assert page.locator("#count").inner_text() == "0"
