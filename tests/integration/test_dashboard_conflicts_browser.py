"""The live dashboard in headless Chromium: an offline admission that central's re-evaluation
disagrees with (the second member of a household, admitted offline and uploaded by the gate's
outbox over MQTT) appears in the conflicts panel; a gate whose agent dies shows since when it is offline."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from central.api.auth import SESSION_COOKIE, issue_session
from central.app import CentralHandle
from central.models.registry import Person
from central.models.users import Role
from central.office.users import create_user
from gatecore import topics
from gatecore.ids import uuid7
from gatecore.masking import mask_name
from gatecore.messages import OfflineDecision, ScanEvent, Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from transport.mqtt import LinkOptions, MqttLink

GATE = "wucheng-east"


def _login(central: CentralHandle, page: Page) -> None:
    assert central.app is not None and central.api_url is not None
    with Session(central.engine) as s:
        user = create_user(s, f"conflicts-{time.monotonic_ns()}", "pw-123456", [Role.SECURITY])
        s.commit()
        cookie = issue_session(central.app, user)
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": central.api_url}])
    page.goto(f"{central.api_url}/dashboard")
    expect(page.locator("#conn")).to_have_text("实时 live", timeout=5000)


def _scan(gate: str, seq: int, token: str, offline: OfflineDecision | None) -> bytes:
    now = datetime.now(UTC)
    event = ScanEvent(
        event_id=uuid7(int(now.timestamp() * 1000), os.urandom(10)),
        gate_id=gate,
        seq=seq,
        gate_time=now,
        qr=token,
        temperature=Temperature(36.5, SensorStatus.OK),
        offline=offline,
    )
    return event.to_json()


def test_a_conflict_and_an_offline_gate_show_on_the_dashboard(central, passes, broker, rig, page) -> None:
    households: dict[int, list] = {}
    for p in passes:
        if p.role == "resident" and p.campus_code == "wucheng" and p.household_id is not None:
            households.setdefault(p.household_id, []).append(p)
    first, second = next(m[:2] for m in households.values() if len(m) >= 2)
    gate = first.gate_ids[0]
    with Session(central.engine) as s:
        second_name = s.exec(select(Person.name).where(Person.id == second.person_id)).one()

    _login(central, page)
    expect(page.locator("#conflict-count")).to_have_text("0", timeout=5000)

    # what a gate's outbox sends after the network returns: a live admission, then an offline one
    uploader = MqttLink("conflict-uploader", LinkOptions(port=broker.port))
    uploader.start(wait=5)
    try:
        uploader.publish(topics.gate_events(gate), _scan(gate, 1, first.token, None), qos=1)
        offline = OfflineDecision(Verdict.ALLOW, Reason.OK, 1)
        uploader.publish(topics.gate_events(gate), _scan(gate, 2, second.token, offline), qos=1)
        shown = time.monotonic()
        item = page.locator(f'#conflict-list li[data-gate="{gate}"]')
        expect(item).to_have_count(1, timeout=5000)
        assert time.monotonic() - shown < 5
        expect(page.locator("#conflict-count")).to_have_text("1")
        text = item.inner_text()
        assert mask_name(second_name) in text and second_name not in text
        assert "household day already held" in text and "本户今日已有人出入" in text
    finally:
        uploader.stop()

    sim = rig(GATE)
    row = page.locator(f'#gates [data-gate="{GATE}"]')
    expect(row.locator(".state")).to_have_text("在线 online", timeout=10_000)
    expect(row.locator(".since")).to_have_text("")
    sim.agent.stop(graceful=False)  # type: ignore[attr-defined]  # the socket drops: the broker sends the Will
    expect(row.locator(".state")).to_have_text("离线 offline", timeout=5000)
    expect(row.locator(".since")).to_contain_text("offline since", timeout=5000)
    page.close()  # before central stops: the event stream ends with its page
