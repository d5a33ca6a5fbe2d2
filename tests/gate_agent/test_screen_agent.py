"""The gate screen in front of a real agent deciding offline (its stored config, its household
ledger, gatecore.policy.decide): the household refusal says who holds the day and since when; the
page tells "offline, deciding locally" (the agent runs, its link is down) from "gate program not
running" (the agent stopped), and in the second case withdraws the last verdict."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_sim.display import RecordingDisplay
from gate_agent.bootstrap import build_agent
from gate_agent.ledger import ConfigStore
from gate_agent.ports import Fault
from gate_agent.words import NOT_RUNNING, NOT_RUNNING_ACTION, OFFLINE
from gatecore.campus import DEFAULT_TZ
from gatecore.messages import Temperature
from gatecore.reasons import Reason
from gatecore.thermoline import SensorStatus
from tests.gate_agent.conftest import gate_id, gate_settings, make_config, make_pass
from tests.screens import screens_dir
from transport.broker import free_port

SCREENS = screens_dir()
NORMAL = Temperature(36.5, SensorStatus.OK)


def test_offline_household_refusal_then_the_agent_stops(
    page, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    port = free_port()
    settings = gate_settings(tmp_path, gate_id(), screen_port=port, screen_verdict_s=120)  # no broker there
    ConfigStore(settings.database_path).save(make_config(signing_key, settings.gate_id).to_json())
    display = RecordingDisplay()
    agent = build_agent(settings, display=display)
    agent.start()
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        before = datetime.now().astimezone()
        first = agent.submit_scan(make_pass(signing_key, pass_id=71, household=7), NORMAL)
        display.wait_for(lambda v: v.event_id == first, timeout=5)
        after = datetime.now().astimezone()
        second = agent.submit_scan(make_pass(signing_key, pass_id=72, household=7), NORMAL)
        refused = display.wait_for(lambda v: v.event_id == second, timeout=5)
        assert refused.reason is Reason.HOUSEHOLD_DAY_USED and refused.offline
        # the ledger's claim time of the first member, through the same rule central runs
        held_at = datetime.fromisoformat(refused.detail["day_holder_at"])
        assert before <= held_at <= after
        hhmm = f"{held_at.astimezone(ZoneInfo(DEFAULT_TZ)):%H:%M}"  # the campus's time, not the device's
        page.wait_for_selector("body.deny #day")
        assert page.inner_text("#day") == f"今日已由 #71 于 {hhmm} 使用 / Used today by #71 at {hhmm}"
        assert page.inner_text("#zh") == Reason.HOUSEHOLD_DAY_USED.info.zh
        assert page.inner_text("#who") == "户 Household: #7"  # the gate knows only the number: say what it is

        # the agent runs without its link: offline, deciding locally, the verdict stays readable
        display.wait_for_fault(Fault.LINK_DOWN, timeout=10)
        assert page.inner_text("#off") == " / ".join(OFFLINE)
        assert page.is_hidden("#down") and page.is_visible("#verdict")
    finally:
        agent.stop()
    # the program is gone: its own full-screen state, the last verdict withdrawn
    page.wait_for_selector("body.down #down", state="visible")
    assert page.inner_text("#down-zh") == NOT_RUNNING[0] and page.inner_text("#down-en") == NOT_RUNNING[1]
    assert page.inner_text("#down-action") == "\n".join(NOT_RUNNING_ACTION)
    body = page.inner_text("body")
    assert "禁止" not in body and "#71" not in body and OFFLINE[0] not in body
    assert page.is_hidden("#off") and page.is_hidden("#verdict") and page.is_hidden("#sym-cough")
    page.screenshot(path=str(SCREENS / "gate-screen-agent-down.png"))
