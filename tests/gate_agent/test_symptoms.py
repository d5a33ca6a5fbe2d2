"""Symptoms at the gate (issue 11, item 9): the screen's buttons in Chromium and the agent carrying the
mark on the next scan of a campus pass, and on that scan only. A scan that names nobody (a WeChat
health code, a pass read in part) leaves the mark for the pass shown after it; the mark lapses like a
typed temperature, and the guard can withdraw it (the screen's 取消 Cancel)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.display import RecordingDisplay
from gate_agent import pending
from gate_agent.agent import GateAgent
from gate_agent.bootstrap import build_agent
from gate_agent.devices.screen import ScreenDisplay
from gate_agent.errors import GateError
from gate_agent.ledger import ConfigStore
from gate_agent.pending import names_a_pass
from gate_agent.views import DisplayView, from_decision_message
from gate_agent.words import CANCEL, IDLE, OFFLINE_ACTION
from gatecore.messages import Temperature
from gatecore.reasons import Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PREFIX
from tests.gate_agent.conftest import gate_id, gate_settings, make_config, make_pass, wait_until
from tests.gate_agent.devices.test_display import decision_message
from transport.broker import free_port

NORMAL = Temperature(36.6, SensorStatus.OK)
WECHAT = "https://weixin.qq.com/g/AQYAAKmx9Yjk-health-code"  # a health code, not a campus pass


def test_the_screen_buttons_mark_the_next_scan_and_cancel_withdraws(page) -> None:
    screen = ScreenDisplay(0, verdict_s=60).start()
    try:
        page.goto(screen.url)
        page.wait_for_selector(f"#verdict:has-text('{IDLE[0]}')")
        assert page.is_hidden("#unmark")  # nothing to withdraw
        page.click("#sym-cough")
        page.wait_for_selector("#marked:has-text('下一次扫码 next scan: 咳嗽 Cough')")
        assert _marked(screen) == ("cough",)
        page.click("#sym-other")
        page.wait_for_selector("#marked:has-text('其他症状')")
        assert _marked(screen) == ("other",)
        # a verdict alone does not use the mark up: the scan of a pass does (the agent, below)
        screen.show(from_decision_message(decision_message(Reason.QR_FOREIGN, celsius=36.6)))
        page.wait_for_selector("body.deny #verdict:has-text('禁止')")
        assert page.inner_text("#marked") == "下一次扫码 next scan: 其他症状 Other symptoms"
        assert page.inner_text("#unmark") == " ".join(CANCEL)
        page.click("#unmark")
        page.wait_for_selector("#marked", state="hidden")
        assert _marked(screen) == () and page.is_hidden("#unmark")
        for bad in (["sneezing"], "cough", ["cough", "cough"], None):
            answer = httpx.post(f"{screen.url}symptoms", json={"symptoms": bad}, timeout=5)
            assert answer.status_code == 422, bad
        assert _marked(screen) == ()
    finally:
        screen.close()


def _marked(screen: ScreenDisplay) -> tuple[str, ...]:
    return screen.marks.waiting()


class OfflineGate:
    """An agent deciding offline from a stored config, with the gate screen on a real port."""

    def __init__(self, tmp_path: Path, key: Ed25519PrivateKey) -> None:
        self.port = free_port()
        settings = gate_settings(tmp_path, gate_id(), screen_port=self.port, screen_verdict_s=60)
        ConfigStore(settings.database_path).save(make_config(key, settings.gate_id).to_json())
        self.display = RecordingDisplay()
        self.agent: GateAgent = build_agent(settings, display=self.display)

    def scan(self, qr: str, temperature: Temperature | None = NORMAL) -> DisplayView:
        eid = self.agent.submit_scan(qr, temperature)
        return self.display.wait_for(lambda v: v.event_id == eid, timeout=10)

    def mark(self, symptoms: list[str]) -> int:
        url = f"http://127.0.0.1:{self.port}/symptoms"
        return httpx.post(url, json={"symptoms": symptoms}, timeout=5).status_code

    def state(self) -> dict[str, Any]:
        return httpx.get(f"http://127.0.0.1:{self.port}/state.json", timeout=5).json()


@pytest.fixture
def gate(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Iterator[OfflineGate]:
    g = OfflineGate(tmp_path, signing_key)
    g.agent.start()
    yield g
    g.agent.stop()


def test_a_mark_waits_through_codes_that_name_nobody(
    gate: OfflineGate, signing_key: Ed25519PrivateKey
) -> None:
    """The tester's 2 a.m. case: Cough pressed, a WeChat code shown first, then a pass cut short,
    then the campus pass: the pass is refused for symptoms, not let through."""
    campus_pass = make_pass(signing_key, pass_id=71, household=7)
    assert gate.mark(["cough"]) == 204
    for qr, reason in ((WECHAT, Reason.QR_FOREIGN), (campus_pass[:40], Reason.TOKEN_TRUNCATED)):
        refused = gate.scan(qr)
        assert refused.reason is reason
        assert gate.agent.last_event is not None and gate.agent.last_event.symptoms == ()
        shown = gate.state()  # the refusal, and the mark still waiting beside it
        assert shown["view"]["reason"] == reason.value
        assert shown["marked"] == ["cough"] and "咳嗽 Cough" in shown["marked_text"]
    view = gate.scan(campus_pass)
    assert (view.verdict, view.reason) == (Verdict.DENY, Reason.SYMPTOMS)
    assert gate.agent.last_event is not None and gate.agent.last_event.symptoms == ("cough",)
    assert (view.action_zh, view.action_en) == OFFLINE_ACTION[Reason.SYMPTOMS]  # decided alone: phone
    assert gate.state()["marked"] == []  # used by the scan that named a person


def test_a_scan_the_gate_cannot_store_leaves_the_mark_waiting(
    gate: OfflineGate, signing_key: Ed25519PrivateKey
) -> None:
    """A scan refused before it is stored (here a reading the protocol cannot carry) uses nothing: the
    mark still waits for the person's next scan."""
    campus_pass = make_pass(signing_key, pass_id=73, household=9)
    assert gate.mark(["cough"]) == 204
    with pytest.raises(GateError):
        gate.agent.submit_scan(campus_pass, Temperature(1000.0, SensorStatus.OK))
    assert gate.agent.symptoms.waiting() == ("cough",)
    view = gate.scan(campus_pass)
    assert (view.verdict, view.reason) == (Verdict.DENY, Reason.SYMPTOMS)


def test_the_guard_withdraws_a_mark(gate: OfflineGate, signing_key: Ed25519PrivateKey) -> None:
    assert gate.mark(["other"]) == 204
    assert gate.agent.symptoms.waiting() == ("other",)
    assert gate.mark([]) == 204  # 取消 Cancel: the person it was meant for turned away
    assert gate.agent.symptoms.waiting() == () and gate.state()["marked"] == []
    view = gate.scan(make_pass(signing_key, pass_id=72, household=8))
    assert (view.verdict, view.reason) == (Verdict.ALLOW, Reason.OK)
    assert gate.agent.last_event is not None and gate.agent.last_event.symptoms == ()


def test_a_mark_lapses_like_a_typed_temperature(
    gate: OfflineGate, signing_key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pending, "MANUAL_VALID_S", 0.6)  # one setting for both
    gate.agent.mark_symptoms(("cough",))
    gate.agent.manual_temperature(36.8)
    left = gate.state()["marked_seconds_left"]
    assert gate.agent.symptoms.waiting() == ("cough",) and 0 < left <= 0.6
    assert wait_until(lambda: gate.agent.symptoms.waiting() == (), 3)
    assert gate.state()["marked"] == []  # the screen no longer offers it either
    view = gate.scan(make_pass(signing_key, pass_id=73, household=9), None)  # pair from the thermometer
    assert view.reason is Reason.TEMP_MISSING  # the typed 36.8 lapsed too; no thermometer is plugged
    event = gate.agent.last_event
    assert event is not None and event.symptoms == () and event.temperature.status is SensorStatus.MISSING


def test_what_names_a_pass(signing_key: Ed25519PrivateKey) -> None:
    campus_pass = make_pass(signing_key, pass_id=5)
    assert names_a_pass(campus_pass) and names_a_pass(f"  {campus_pass}  ")
    # whether it is genuine or valid here is for the rules, which refuse these for who shows them
    assert names_a_pass(make_pass(signing_key, pass_id=5, campus=9))
    assert names_a_pass(make_pass(Ed25519PrivateKey.generate(), pass_id=5))  # signed by another key
    for nobody in (WECHAT, "", campus_pass[:40], campus_pass[:-3], PREFIX, "CG2:" + campus_pass[4:]):
        assert not names_a_pass(nobody), nobody
