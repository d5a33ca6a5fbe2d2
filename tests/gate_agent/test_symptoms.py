"""Symptoms at the gate (issue 11, item 9): the screen's buttons in Chromium and the agent carrying the
mark on the next scan, and on that scan only."""

from __future__ import annotations

from pathlib import Path

import httpx

from firmware_sim.display import RecordingDisplay
from gate_agent.bootstrap import build_agent
from gate_agent.devices.screen import ScreenDisplay
from gate_agent.views import from_decision_message
from gate_agent.words import IDLE
from gatecore.messages import Temperature
from gatecore.reasons import Reason
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.gate_agent.devices.test_display import decision_message
from transport.broker import free_port


def test_the_screen_buttons_mark_the_next_scan(page) -> None:
    marked: list[tuple[str, ...]] = []
    screen = ScreenDisplay(0, verdict_s=60).start()
    screen.on_symptoms = marked.append
    try:
        page.goto(screen.url)
        page.wait_for_selector(f"#verdict:has-text('{IDLE[0]}')")
        page.click("#sym-cough")
        page.wait_for_selector("#marked:has-text('下一次扫码 next scan: 咳嗽 Cough')")
        assert marked == [("cough",)]
        page.click("#sym-other")
        page.wait_for_selector("#marked:has-text('其他症状')")
        assert marked[-1] == ("other",)
        screen.show(from_decision_message(decision_message(Reason.SYMPTOMS, celsius=36.6)))
        page.wait_for_selector("body.deny #verdict:has-text('禁止')")
        assert page.inner_text("#zh") == "咳嗽等症状，暂停通行"
        assert page.inner_text("#marked") == ""  # the mark went with the scan just decided
        bad = httpx.post(f"{screen.url}symptoms", json={"symptoms": ["sneezing"]}, timeout=5)
        assert bad.status_code == 422 and marked[-1] == ("other",)
    finally:
        screen.close()


def test_the_agent_carries_the_mark_on_the_next_scan_only(tmp_path: Path) -> None:
    port = free_port()
    agent = build_agent(gate_settings(tmp_path, "sym-gate", screen_port=port), display=RecordingDisplay())
    agent.start()
    try:
        ok = httpx.post(f"http://127.0.0.1:{port}/symptoms", json={"symptoms": ["cough"]}, timeout=5)
        assert ok.status_code == 204
        first = agent.submit_scan("not a pass", Temperature(36.6, SensorStatus.OK))
        assert wait_until(lambda: agent.last_event is not None and agent.last_event.event_id == first, 10)
        assert agent.last_event is not None and agent.last_event.symptoms == ("cough",)
        second = agent.submit_scan("not a pass", Temperature(36.6, SensorStatus.OK))
        assert wait_until(lambda: agent.last_event is not None and agent.last_event.event_id == second, 10)
        assert agent.last_event.symptoms == ()
    finally:
        agent.stop()
