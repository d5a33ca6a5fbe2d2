"""The gate display: a bilingual terminal renderer, Chinese first, and the words for faults."""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from gate_agent.ports import Display, Fault
from gate_agent.views import DisplayView, from_decision_message, from_offline
from gatecore.reasons import Verdict

__all__ = [
    "FAULT_TEXT",
    "HEADLINE",
    "Display",
    "DisplayView",
    "TerminalDisplay",
    "fault_text",
    "from_decision_message",
    "from_offline",
    "headline",
    "render",
    "render_line",
    "wants_colour",
]

HEADLINE: dict[Verdict, str] = {
    Verdict.ALLOW: "✔ 通行 ALLOW",
    Verdict.DENY: "✘ 禁止 DENY",
    Verdict.REMEASURE: "⟳ 请重新测温 REMEASURE",
    Verdict.REFER: "? 人工核验 REFER",
}
_COLOUR = {
    Verdict.ALLOW: "\033[1;97;42m",
    Verdict.DENY: "\033[1;97;41m",
    Verdict.REMEASURE: "\033[1;30;43m",
    Verdict.REFER: "\033[1;97;44m",
}
_RESET = "\033[0m"
OFFLINE_MARK = "[离线 OFFLINE]"
DAY_HOLDER = ("今日出入人", "Today's member")
NEXT = ("下一步", "Next")

FAULT_TEXT: dict[Fault, tuple[str, str]] = {
    Fault.THERMOMETER_UNPLUGGED: (
        "测温仪故障，请手动测温并录入",
        "Thermometer fault: measure by hand and type it in",
    ),
    Fault.THERMOMETER_SILENT: (
        "测温仪无响应，请手动测温并录入",
        "Thermometer not responding: measure by hand and type it in",
    ),
    Fault.THERMOMETER_GARBAGE: (
        "测温仪数据错误，请检查连接线并手动测温",
        "Thermometer sends damaged data: check the cable, measure by hand",
    ),
    Fault.THERMOMETER_STUCK: (
        "测温仪读数不变，请检查测温仪或手动测温",
        "Thermometer reading stuck: check it or measure by hand",
    ),
    Fault.CAMERA_NO_SIGNAL: ("摄像头无信号，请人工核验出入证", "Camera has no signal: check passes by hand"),
    Fault.CAMERA_FROZEN: ("摄像头画面冻结，请人工核验出入证", "Camera image frozen: check passes by hand"),
    Fault.LINK_DOWN: ("网络中断，本机离线判定", "Network down: the gate decides offline"),
}


def fault_text(fault: Fault) -> tuple[str, str]:
    """Chinese and English words for a fault."""
    return FAULT_TEXT[fault]


def wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and not when the user set NO_COLOR (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def headline(verdict: Verdict, *, colour: bool = False) -> str:
    """The verdict's headline, on its colour band when ``colour``."""
    return f"{_COLOUR[verdict]} {HEADLINE[verdict]} {_RESET}" if colour else HEADLINE[verdict]


def render_line(view: DisplayView) -> str:
    """One decision on one line after its headline, Chinese first, English beside; ends with the
    guard's next step."""
    parts = [f"{view.text_zh} / {view.text_en}"]
    if view.celsius is not None:
        parts.append(f"{view.celsius:.1f}°C")
    parts += [p for p in (view.holder, view.household) if p]
    if view.detail.get("day_holder"):
        parts.append(f"{DAY_HOLDER[0]} {DAY_HOLDER[1]}: {view.detail['day_holder']}")
    if view.offline:
        parts.append(OFFLINE_MARK)
    parts.append(f"{NEXT[0]} {NEXT[1]}: {view.action_zh} / {view.action_en}")
    return "  ".join(parts)


def render(view: DisplayView) -> str:
    """The block of text for one decision, Chinese first, English beside or under."""
    head = HEADLINE[view.verdict]
    if view.offline:
        head += f"    {OFFLINE_MARK}"
    lines = [head, f"{view.text_zh}", f"{view.text_en}"]
    if view.celsius is not None:
        lines.append(f"体温 Temp: {view.celsius:.1f} °C")
    who = []
    if view.holder:
        who.append(f"持证人 Holder: {view.holder}")
    if view.household:
        who.append(f"户 Household: {view.household}")
    if who:
        lines.append("   ".join(who))
    if view.detail.get("day_holder"):
        lines.append(f"{DAY_HOLDER[0]} {DAY_HOLDER[1]}: {view.detail['day_holder']}")
    lines.append(f"{NEXT[0]}：{view.action_zh}")
    lines.append(f"{NEXT[1]}: {view.action_en}")
    return "\n".join(lines)


class TerminalDisplay:
    """Prints decisions and faults to a stream (a console on the guard's screen)."""

    def __init__(self, stream: TextIO | None = None, *, colour: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.colour = wants_colour(self.stream) if colour is None else colour
        self._lock = threading.Lock()

    def _write(self, text: str) -> None:
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def show(self, view: DisplayView) -> None:
        """Print the decision block."""
        bar = "═" * 44
        body = render(view)
        if self.colour:
            head, _, rest = body.partition("\n")
            body = f"{_COLOUR[view.verdict]} {head} {_RESET}\n{rest}"
        self._write(f"{bar}\n{body}\n{bar}")

    def show_fault(self, fault: Fault) -> None:
        """Print a fault line."""
        zh, en = FAULT_TEXT[fault]
        self._write(f"⚠ {zh} / {en}")

    def clear_fault(self, fault: Fault) -> None:
        """Print that the fault is over."""
        zh, en = FAULT_TEXT[fault]
        self._write(f"✓ 已恢复 Recovered: {zh} / {en}")
