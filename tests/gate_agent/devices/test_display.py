"""What the guard sees: views built from decisions, the terminal block, the recording display."""

from __future__ import annotations

import io
import os
import threading
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from firmware_sim.display import RecordingDisplay
from gate_agent.devices.display import (
    HEADLINE,
    TerminalDisplay,
    headline,
    measure_line,
    render,
    render_line,
    wants_colour,
)
from gate_agent.devices.screen import ScreenDisplay
from gate_agent.ports import Fault
from gate_agent.views import DisplayView, from_decision_message, from_offline
from gate_agent.words import OFFLINE_ACTION
from gatecore.messages import DecisionMessage, ScanEvent, Temperature
from gatecore.policy import Decision
from gatecore.reasons import REASONS, Reason, Verdict
from gatecore.thermoline import SensorStatus
from gatecore.tokens import PassClaims, PassForm, PassKind


def decision_message(reason: Reason, **kw: object) -> DecisionMessage:
    values: dict[str, object] = dict(
        event_id=str(uuid.uuid4()),
        gate_id="g1",
        verdict=reason.verdict,
        reason=reason,
        reasons=[reason.value],
        text_zh="(central's words)",
        text_en="(central's words)",
        action_zh="",
        action_en="",
        holder="张*明",
        household="坞城校区 3-2-501",
        celsius=36.6,
        open=reason.verdict is Verdict.ALLOW,
        policy_version=3,
        decided_at=datetime.now(UTC),
    )
    values.update(kw)
    return DecisionMessage(**values)  # type: ignore[arg-type]


def test_words_come_from_the_reason_table() -> None:
    view = from_decision_message(decision_message(Reason.HOUSEHOLD_DAY_USED, detail={"day_holder": "王*华"}))
    info = Reason.HOUSEHOLD_DAY_USED.info
    assert (view.text_zh, view.text_en, view.action_zh, view.action_en) == (
        info.zh,
        info.en,
        info.action_zh,
        info.action_en,
    )
    assert (view.verdict, view.holder, view.offline, view.opens) == (Verdict.DENY, "张*明", False, False)


def test_offline_view_marks_offline() -> None:
    event = ScanEvent(str(uuid.uuid4()), "g1", 1, datetime.now(UTC), "x", Temperature(37.9, SensorStatus.OK))
    d = Decision(Verdict.DENY, Reason.FEVER, (Reason.FEVER,), 2)
    view = from_offline(d, event)
    assert (view.offline, view.celsius, view.reason, view.event_id) == (
        True,
        37.9,
        Reason.FEVER,
        event.event_id,
    )


@pytest.mark.parametrize("reason", [Reason.OK, Reason.FEVER, Reason.TEMP_MISSING, Reason.OFFLINE_NO_CONFIG])
def test_terminal_block_is_bilingual_chinese_first(reason: Reason) -> None:
    out = io.StringIO()
    view = from_decision_message(decision_message(reason, offline=True))
    TerminalDisplay(out).show(view)
    text = out.getvalue()
    assert HEADLINE[reason.verdict] in text and "[离线 OFFLINE]" in text
    assert text.index(reason.info.zh) < text.index(reason.info.en)
    assert "36.6 °C" in text and "张*明" in text and "坞城校区 3-2-501" in text


def test_one_line_ends_with_the_next_step() -> None:
    view = from_decision_message(decision_message(Reason.HOUSEHOLD_DAY_USED, detail={"day_holder": "王*华"}))
    info = Reason.HOUSEHOLD_DAY_USED.info
    line = render_line(view)
    assert "\n" not in line and line.startswith(f"{info.zh} / {info.en}")
    assert "今日已由 王*华 使用 / Used today by 王*华" in line
    assert line.endswith(f"下一步 Next: {info.action_zh} / {info.action_en}")


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal, os.fdopen(master, "rb", buffering=0):
        monkeypatch.delenv("NO_COLOR", raising=False)
        assert wants_colour(terminal) and TerminalDisplay(terminal).colour
        assert not wants_colour(io.StringIO()) and not TerminalDisplay(io.StringIO()).colour
        monkeypatch.setenv("NO_COLOR", "1")
        assert not wants_colour(terminal) and not TerminalDisplay(terminal).colour
    assert "\x1b" in headline(Verdict.ALLOW, colour=True) and "\x1b" not in headline(Verdict.ALLOW)


def test_headlines() -> None:
    assert HEADLINE[Verdict.ALLOW] == "✔ 通行 ALLOW"
    assert HEADLINE[Verdict.DENY] == "✘ 禁止 DENY"
    assert HEADLINE[Verdict.REMEASURE] == "⟳ 请重新测温 REMEASURE"
    assert HEADLINE[Verdict.REFER] == "? 人工核验 REFER"


def test_the_household_refusal_says_who_holds_the_day_and_since_when() -> None:
    at = datetime(2026, 11, 23, 0, 12, 5, tzinfo=UTC)  # as central sends it
    detail = {"day_holder": "梁*敏", "day_holder_at": at.isoformat()}
    message = decision_message(Reason.HOUSEHOLD_DAY_USED, detail=detail)
    # in the campus's zone, whatever the device's clock is set to (this machine's is UTC)
    beijing = render(from_decision_message(message, ZoneInfo("Asia/Shanghai")))
    assert "今日已由 梁*敏 于 08:12 使用 / Used today by 梁*敏 at 08:12" in beijing
    assert f"{message.decided_at.astimezone(ZoneInfo('Asia/Shanghai')):%H:%M:%S} 判定 decided" in beijing
    los_angeles = render(from_decision_message(message, ZoneInfo("America/Los_Angeles")))
    assert "今日已由 梁*敏 于 16:12 使用 / Used today by 梁*敏 at 16:12" in los_angeles
    hhmm = f"{at.astimezone():%H:%M}"  # a gate with no config yet: the device's own time
    line = f"今日已由 梁*敏 于 {hhmm} 使用 / Used today by 梁*敏 at {hhmm}"
    assert line in render(from_decision_message(message))
    assert "/ Used today by 梁*敏\n" in render(  # an older central sends no time: the name alone
        from_decision_message(decision_message(Reason.HOUSEHOLD_DAY_USED, detail={"day_holder": "梁*敏"}))
    )


def test_fault_words() -> None:
    out = io.StringIO()
    TerminalDisplay(out).show_fault(Fault.THERMOMETER_UNPLUGGED)
    assert (
        "测温仪故障，请手动测温并录入 / Thermometer fault: measure by hand and type it in" in out.getvalue()
    )


def test_recording_display_waits_across_threads() -> None:
    d = RecordingDisplay()
    view = from_decision_message(decision_message(Reason.OK))
    threading.Timer(0.1, d.show, (view,)).start()
    assert d.wait_for(lambda v: v.event_id == view.event_id, timeout=2) == view
    assert d.last == view and d.views == [view]
    with pytest.raises(TimeoutError):
        d.wait_for(lambda v: v.reason is Reason.FEVER, timeout=0.1)
    d.show_fault(Fault.CAMERA_FROZEN)
    d.wait_for_fault(Fault.CAMERA_FROZEN, timeout=0.1)
    d.clear_fault(Fault.CAMERA_FROZEN)
    d.wait_for_fault(Fault.CAMERA_FROZEN, active=False, timeout=0.1)
    assert d.faults == [("show", Fault.CAMERA_FROZEN), ("clear", Fault.CAMERA_FROZEN)]
    assert isinstance(render(view), str) and isinstance(view, DisplayView)


def test_the_console_says_when_its_decision_was_made() -> None:
    """The guard's console keeps the last decision (to override it): it shows when that was, in the
    gate's local time, so an old verdict is not taken for the person in front of the gate."""
    at = datetime(2026, 11, 23, 0, 12, 5, tzinfo=UTC)
    block = render(from_decision_message(decision_message(Reason.OK, decided_at=at)))
    head = block.splitlines()[0]
    assert head.startswith("✔ 通行 ALLOW") and f"{at.astimezone():%H:%M:%S} 判定 decided" in head


def _offline(
    reason: Reason, detail: dict[str, object] | None = None, next_step: tuple[str, str] | None = None
) -> DisplayView:
    event = ScanEvent(str(uuid.uuid4()), "g1", 1, datetime.now(UTC), "x", Temperature(37.9, SensorStatus.OK))
    now = datetime.now(UTC)
    claims = PassClaims(1, PassKind.RESIDENT, PassForm.CARD, 1, 38, 38, 380, now, now)
    decision = Decision(reason.verdict, reason, (reason,), 2, claims=claims, detail=detail or {})
    return from_offline(decision, event, next_step=next_step)


@pytest.mark.parametrize("reason", [Reason.FEVER, Reason.SYMPTOMS])
def test_offline_the_next_step_says_no_office_knows_yet(reason: Reason) -> None:
    view = _offline(reason, next_step=OFFLINE_ACTION[reason])  # as the agent makes it offline
    assert "已通知" not in view.action_zh and "notified" not in view.action_en
    assert "电话通知保卫处" in view.action_zh and "phone the security office" in view.action_en
    assert "phone the security office" in render(view) and "phone the security office" in render_line(view)
    screen = ScreenDisplay(0, verdict_s=60)
    try:
        screen.show(view)
        assert screen.state()["view"]["action_en"] == OFFLINE_ACTION[reason][1]
    finally:
        screen.close()
    online = from_decision_message(decision_message(reason))  # central has alerted the offices
    assert (online.action_zh, online.action_en) == (reason.info.action_zh, reason.info.action_en)


def test_every_next_step_that_says_the_offices_know_has_an_offline_one() -> None:
    claims = [r for r, i in REASONS.items() if "已通知" in i.action_zh or "notified" in i.action_en]
    assert claims and set(claims) <= set(OFFLINE_ACTION), claims


@pytest.mark.parametrize("reason", [Reason.KEY_PERSON, Reason.SYMPTOMS])
def test_the_day_holder_is_named_only_for_a_household_refusal(reason: Reason) -> None:
    # the household's day was taken too, but what the person is told is another reason
    detail = {"day_holder": "梁*敏", "day_holder_at": "2026-11-23T08:12:00+08:00"}
    views = [from_decision_message(decision_message(reason, detail=detail)), _offline(reason, detail)]
    screen = ScreenDisplay(0, verdict_s=60)
    try:
        for view in views:
            assert "梁*敏" not in render(view) and "Used today" not in render_line(view)
            screen.show(view)
            assert screen.state()["view"]["day_holder"] is None
        screen.show(from_decision_message(decision_message(Reason.HOUSEHOLD_DAY_USED, detail=detail)))
        assert screen.state()["view"]["day_holder"][1].startswith("Used today by 梁*敏 at ")
    finally:
        screen.close()


def test_offline_the_screen_says_the_number_is_the_household() -> None:
    screen = ScreenDisplay(0, verdict_s=60)
    try:
        screen.show(_offline(Reason.FEVER))
        assert screen.state()["view"]["who"] == "户 Household: #38"  # as the terminal says it
        assert "户 Household: #38" in render(_offline(Reason.FEVER))
        screen.show(from_decision_message(decision_message(Reason.OK)))  # central's label says itself
        assert screen.state()["view"]["who"] == "张*明　坞城校区 3-2-501"
    finally:
        screen.close()


def test_the_terminal_asks_the_person_to_measure() -> None:
    out = io.StringIO()
    TerminalDisplay(out, colour=False).ask_to_measure(3.0)
    assert out.getvalue() == f"» {measure_line()}\n"
    assert (
        measure_line()
        == "请测温 / Please measure your temperature  请将额头对准测温仪 / Hold your forehead up to the thermometer"
    )
