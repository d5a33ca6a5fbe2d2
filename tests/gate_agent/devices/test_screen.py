"""The gate screen in Chromium: a huge green 通行 for an allow, red 禁止 with the reason for a
deny, the OFFLINE marker and device faults; a screenshot for docs/gate-screen.png."""

from __future__ import annotations

from pathlib import Path

import httpx

from firmware_sim.display import RecordingDisplay
from gate_agent.bootstrap import build_agent
from gate_agent.devices.screen import ScreenDisplay
from gate_agent.ports import Fault
from gate_agent.views import from_decision_message
from gatecore.reasons import Reason
from tests.gate_agent.conftest import gate_settings
from tests.gate_agent.devices.test_display import decision_message
from transport.broker import free_port

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_screen_shows_verdicts_reasons_and_faults(page) -> None:
    screen = ScreenDisplay(0).start()
    try:
        page.goto(screen.url)
        page.wait_for_selector("text=请出示出入码")
        screen.show(from_decision_message(decision_message(Reason.OK, celsius=36.6)))
        page.wait_for_selector("#verdict:has-text('通行')")
        assert "allow" in page.get_attribute("#v", "class")
        assert page.inner_text("#who") == "张*明　坞城校区 3-2-501"
        assert "36.6 °C" in page.inner_text("#temp")
        assert page.is_hidden("#off")
        page.screenshot(path=str(DOCS / "gate-screen.png"))

        screen.show(from_decision_message(decision_message(Reason.FEVER, celsius=37.9, offline=True)))
        page.wait_for_selector("#verdict:has-text('禁止')")
        assert "deny" in page.get_attribute("#v", "class")
        assert page.inner_text("#zh") == Reason.FEVER.info.zh
        assert page.inner_text("#en") == Reason.FEVER.info.en
        page.wait_for_selector("#off", state="visible")

        screen.show_fault(Fault.THERMOMETER_UNPLUGGED)
        page.wait_for_selector("text=测温仪故障，请手动测温并录入")
        screen.clear_fault(Fault.THERMOMETER_UNPLUGGED)
        page.wait_for_selector("text=测温仪故障，请手动测温并录入", state="detached")
    finally:
        screen.close()


def test_agent_serves_the_screen_when_a_port_is_set(tmp_path: Path) -> None:
    port = free_port()
    agent = build_agent(gate_settings(tmp_path, "screen-gate", screen_port=port), display=RecordingDisplay())
    agent.start()
    try:
        agent.submit_scan("not a pass")  # offline and without config: refer to the guard
        assert agent.display.displays[0].wait_for(lambda v: True).offline  # type: ignore[attr-defined]
        state = httpx.get(f"http://127.0.0.1:{port}/state.json", timeout=5).json()
        assert state["offline"] is True and state["view"]["verdict"] == "refer"
    finally:
        agent.stop()
    assert not _listening(port)


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True
