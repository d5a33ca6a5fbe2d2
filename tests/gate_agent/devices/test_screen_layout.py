"""The gate screen's layout in Chromium at the three monitor sizes a gate has: with everything on it
at once (a long household refusal decided offline, three device faults, both symptoms marked) no
two boxes overlap, all lie inside the window, and the next step is the second-largest text.
Screenshots for docs/screens/gate-screen-<w>x<h>.png."""

from __future__ import annotations

from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gate_agent.devices.screen import ScreenDisplay
from gate_agent.ports import Fault
from gate_agent.views import from_decision_message
from gatecore.campus import DEFAULT_TZ
from gatecore.reasons import Reason
from tests.gate_agent.devices.test_display import decision_message
from tests.screens import screens_dir

SCREENS = screens_dir()
# every element a person reads or presses; each fault line and each button on its own
NAMED = (
    "verdict",
    "zh",
    "en",
    "temp",
    "who",
    "day",
    "action-zh",
    "action-en",
    "decided",
    "track",
    "off",
    "marked",
    "unmark",
)
SHOWN = ",".join(f"#{n}" for n in NAMED) + ",#sym button,#faults div"
EDGE = 0.5  # px: boxes that only touch, rounded to device pixels, do not overlap


def _crowded(screen: ScreenDisplay) -> None:
    refusal = decision_message(
        Reason.HOUSEHOLD_DAY_USED,
        celsius=36.6,
        offline=True,
        holder="欧阳*明",
        household="坞城校区 教工宿舍 12 号楼 3 单元 1502 室",
        detail={"day_holder": "梁*敏", "day_holder_at": "2026-11-23T08:12:00+08:00"},
    )
    screen.show(from_decision_message(refusal, ZoneInfo(DEFAULT_TZ)))  # the campus's clock: 08:12
    for fault in (Fault.THERMOMETER_GARBAGE, Fault.CAMERA_FROZEN, Fault.THERMOMETER_STUCK, Fault.LINK_DOWN):
        screen.show_fault(fault)
    screen.mark(("cough", "other"))


@pytest.mark.parametrize("size", [(800, 480), (1280, 800), (1920, 1080)])
def test_nothing_overlaps_with_everything_on_the_screen(browser, size: tuple[int, int]) -> None:
    width, height = size
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    screen = ScreenDisplay(0, verdict_s=600).start()
    try:
        _crowded(screen)
        page.goto(screen.url)
        page.wait_for_selector("body.deny #day:has-text('梁*敏')")
        page.wait_for_selector("#marked:has-text('其他症状')")
        page.wait_for_function("() => document.querySelectorAll('#faults div').length === 3")
        page.wait_for_selector("#off:has-text('离线，本地判定')")
        boxes, fonts = {}, {}
        for element in page.query_selector_all(SHOWN):
            if not element.is_visible():
                continue
            name = element.get_attribute("id") or element.inner_text()
            boxes[name] = element.bounding_box()
            fonts[name] = float(element.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
        page.screenshot(path=str(SCREENS / f"gate-screen-{width}x{height}.png"))
        names = set(boxes)
        assert set(NAMED) | {"sym-cough", "sym-other"} <= names
        assert sum(1 for n in names if n.startswith("⚠")) == 3  # the network fault is the offline badge
        _inside_and_apart(boxes, width, height)
        by_size = sorted(fonts, key=fonts.__getitem__, reverse=True)
        assert by_size[0] == "verdict" and by_size[1] == "action-zh", fonts
        assert fonts["action-zh"] > max(f for n, f in fonts.items() if n not in ("verdict", "action-zh"))
        assert fonts["action-en"] > fonts["en"]  # the English next step outranks the English reason too
    finally:
        screen.close()
        context.close()


def _inside_and_apart(boxes: dict[str, Any], width: int, height: int) -> None:
    # every box drawn, inside the window, and no two overlapping
    for name, box in boxes.items():
        assert box is not None and box["width"] > 0 and box["height"] > 0, name
        assert box["x"] >= -EDGE and box["y"] >= -EDGE, (name, box)
        assert box["x"] + box["width"] <= width + EDGE, (name, box)
        assert box["y"] + box["height"] <= height + EDGE, (name, box)
    assert [(a, b) for a, b in combinations(boxes, 2) if _overlap(boxes[a], boxes[b])] == []


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - EDGE
        and b["x"] < a["x"] + a["width"] - EDGE
        and a["y"] < b["y"] + b["height"] - EDGE
        and b["y"] < a["y"] + a["height"] - EDGE
    )


@pytest.mark.parametrize("size", [(800, 480), (1280, 800), (1920, 1080)])
def test_the_request_to_measure_fits_the_screen_beside_the_faults(browser, size: tuple[int, int]) -> None:
    # what a person reads while the gate waits for a reading: the request and how to do it, the
    # faults and the offline badge, nothing overlapping, all inside the window, no countdown
    width, height = size
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    screen = ScreenDisplay(0, verdict_s=600).start()
    try:
        _crowded(screen)  # the last person's refusal, three faults and the offline badge, symptoms marked
        screen.ask_to_measure(600)
        page.goto(screen.url)
        page.wait_for_selector("body.measure #verdict:has-text('请测温')")
        page.wait_for_selector("#action-en:has-text('thermometer')")
        page.wait_for_function("() => document.querySelectorAll('#faults div').length === 3")
        boxes = {}
        for element in page.query_selector_all(SHOWN):
            if element.is_visible() and element.inner_text().strip():
                boxes[element.get_attribute("id") or element.inner_text()] = element.bounding_box()
        page.screenshot(path=str(SCREENS / f"gate-screen-measure-{width}x{height}.png"))
        assert {"verdict", "en", "action-zh", "action-en", "off"} <= set(boxes)
        assert "who" not in boxes and "day" not in boxes  # the last person's refusal is gone
        _inside_and_apart(boxes, width, height)
    finally:
        screen.close()
        context.close()
