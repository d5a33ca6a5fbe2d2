"""The gate screen in Chromium: a huge green 通行 for an allow, red 禁止 with the reason for a
deny, device faults; the verdict withdrawn after its seconds with a countdown, by the server's state
as much as by the page; a screenshot for docs/gate-screen.png."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx

from firmware_sim.display import RecordingDisplay
from gate_agent.bootstrap import build_agent
from gate_agent.devices.screen import WORDS, ScreenDisplay
from gate_agent.ports import Fault
from gate_agent.views import from_decision_message
from gate_agent.words import DECIDED, IDLE, MEASURE, MEASURE_HOW, OFFLINE, SYMPTOM_WORDS
from gatecore.messages import SYMPTOMS
from gatecore.reasons import Reason
from tests.gate_agent.conftest import gate_settings, wait_until
from tests.gate_agent.devices.test_display import decision_message
from tests.screens import screens_dir
from transport.broker import free_port

DOCS = screens_dir("")
IDLE_JS = f"() => document.body.className === 'idle' && document.getElementById('verdict').innerText === '{IDLE[0]}'"


def test_screen_shows_verdicts_reasons_and_faults(page) -> None:
    screen = ScreenDisplay(0, verdict_s=60).start()
    try:
        page.goto(screen.url)
        page.wait_for_selector(f"#verdict:has-text('{IDLE[0]}')")
        assert page.inner_text("#en") == IDLE[1]
        screen.show(from_decision_message(decision_message(Reason.OK, celsius=36.6)))
        page.wait_for_selector("body.allow #verdict:has-text('通行 ALLOW')")
        assert page.get_attribute("body", "class") == "allow"
        assert page.inner_text("#who") == "张*明　坞城校区 3-2-501"
        assert page.inner_text("#temp") == "体温 Temp: 36.6 °C"  # the label in both languages
        assert page.is_hidden("#off") and page.is_hidden("#day")
        page.screenshot(path=str(DOCS / "gate-screen.png"))
        screen.show_fault(Fault.LINK_DOWN)  # the link is down: the badge says so, not the fault band
        page.wait_for_selector(f"#off:has-text('{OFFLINE[0]}')")
        assert page.is_hidden("#faults")
        screen.clear_fault(Fault.LINK_DOWN)
        page.wait_for_selector("#off", state="hidden")

        screen.show(from_decision_message(decision_message(Reason.FEVER, celsius=37.9, offline=True)))
        page.wait_for_selector("#verdict:has-text('禁止')")
        assert page.get_attribute("body", "class") == "deny"
        assert page.inner_text("#zh") == Reason.FEVER.info.zh
        assert page.inner_text("#en") == Reason.FEVER.info.en
        assert page.inner_text("#action-zh") == Reason.FEVER.info.action_zh
        page.wait_for_selector("#off", state="visible")

        screen.show_fault(Fault.THERMOMETER_UNPLUGGED)
        page.wait_for_selector("text=测温仪故障，请手动测温并录入")
        screen.clear_fault(Fault.THERMOMETER_UNPLUGGED)
        page.wait_for_selector("text=测温仪故障，请手动测温并录入", state="detached")
    finally:
        screen.close()


def test_a_verdict_counts_down_and_gives_way_to_the_idle_screen(page) -> None:
    screen = ScreenDisplay(0, verdict_s=3.0).start()  # the page must see it before it expires, under load too
    try:
        page.goto(screen.url)
        page.wait_for_function(IDLE_JS)
        decided_at = datetime(2026, 11, 23, 0, 12, 5, tzinfo=UTC)
        screen.show(
            from_decision_message(decision_message(Reason.FEVER, celsius=38.2, decided_at=decided_at))
        )
        page.wait_for_selector("#verdict:has-text('禁止')")
        assert page.inner_text("#decided") == f"{decided_at.astimezone():%H:%M:%S} {DECIDED[0]} {DECIDED[1]}"
        width = page.eval_on_selector("#bar", "b => b.getBoundingClientRect().width")
        assert width > 0
        page.wait_for_function(
            "w => { const b = document.getElementById('bar').getBoundingClientRect().width; return b > 0 && b < w; }",
            arg=width,
        )
        page.wait_for_function(IDLE_JS)  # the seconds are over
        assert page.is_hidden("#count") and page.is_hidden("#action")
        assert "禁止" not in page.inner_text("body")
    finally:
        screen.close()


def test_the_request_to_measure_gives_way_to_the_verdict_or_to_its_seconds(page) -> None:
    screen = ScreenDisplay(0, verdict_s=60).start()
    try:
        page.goto(screen.url)
        page.wait_for_function(IDLE_JS)
        screen.show(from_decision_message(decision_message(Reason.OK, celsius=36.6)))
        page.wait_for_selector("body.allow")
        screen.ask_to_measure(30)  # the next person: the last verdict is not theirs
        page.wait_for_selector(f"body.measure #verdict:has-text('{MEASURE[0]}')")
        assert page.inner_text("#en") == MEASURE[1]
        assert (page.inner_text("#action-zh"), page.inner_text("#action-en")) == MEASURE_HOW
        assert "通行" not in page.inner_text("body") and page.is_hidden("#count")
        screen.show(from_decision_message(decision_message(Reason.FEVER, celsius=38.2)))
        page.wait_for_selector("body.deny")
        assert MEASURE[0] not in page.inner_text("body")

        screen.ask_to_measure(2.0)  # nothing came: the request leaves by itself
        page.wait_for_selector("body.measure")
        state = httpx.get(f"{screen.url}state.json", timeout=5).json()
        assert state["view"] is None and 0 < state["measure"]["seconds_left"] <= 2.0
        page.wait_for_function(IDLE_JS)
        assert httpx.get(f"{screen.url}state.json", timeout=5).json()["measure"] is None
    finally:
        screen.close()


def test_the_server_withdraws_the_verdict_so_a_page_loaded_later_shows_none(page) -> None:
    # 3 s: long enough for the first read on a loaded machine (1 s expired before it, once in CI)
    screen = ScreenDisplay(0, verdict_s=3.0).start()
    try:
        screen.show(from_decision_message(decision_message(Reason.FEVER, celsius=38.2)))
        shown = httpx.get(f"{screen.url}state.json", timeout=5).json()
        view = shown["view"]
        assert view is not None, "the verdict was gone before it was first read"
        assert view["verdict"] == "deny" and 0 < view["seconds_left"] <= 3.0
        expires = datetime.fromisoformat(view["expires_at"]) - datetime.fromisoformat(view["shown_at"])
        assert expires.total_seconds() == 3.0 and shown["verdict_s"] == 3.0
        assert wait_until(lambda: httpx.get(f"{screen.url}state.json", timeout=5).json()["view"] is None, 10)
        page.goto(screen.url)
        page.wait_for_function("() => document.body.dataset.at")  # the page has read the state
        page.wait_for_function(IDLE_JS)
        assert "禁止" not in page.inner_text("body")
    finally:
        screen.close()


def test_the_page_words_come_from_the_catalogue() -> None:
    assert set(SYMPTOM_WORDS) == set(SYMPTOMS) == set(WORDS["symptoms"])
    screen = ScreenDisplay(0, verdict_s=60).start()
    try:
        html = httpx.get(screen.url, timeout=5).text
    finally:
        screen.close()
    assert "__WORDS__" not in html and IDLE[0] in html and "请出示出入码" not in html
    # no Chinese word is written into the page itself: each one comes from gate_agent.words
    rest = html.replace(json.dumps(WORDS, ensure_ascii=False), "")
    assert re.findall(r"[\u4e00-\u9fff]+", rest) == []


def test_agent_serves_the_screen_when_a_port_is_set(tmp_path: Path) -> None:
    port = free_port()
    settings = gate_settings(tmp_path, "screen-gate", screen_port=port, screen_verdict_s=30)
    agent = build_agent(settings, display=RecordingDisplay())
    agent.start()
    try:
        agent.submit_scan("not a pass")  # offline and without config: refer to the guard
        assert agent.display.displays[0].wait_for(lambda v: True).offline  # type: ignore[attr-defined]
        state = httpx.get(f"http://127.0.0.1:{port}/state.json", timeout=5).json()
        assert state["offline"] is True and state["view"]["verdict"] == "refer"
        assert state["verdict_s"] == 30
    finally:
        agent.stop()
    assert not _listening(port)


def _listening(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    except httpx.HTTPError:
        return False
    return True
