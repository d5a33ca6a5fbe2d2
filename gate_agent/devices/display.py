"""The gate display: a bilingual terminal renderer, Chinese first (its words: gate_agent.words)."""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from gate_agent.ports import Display, Fault
from gate_agent.views import DisplayView, from_decision_message, from_offline
from gate_agent.words import (
    FAULT_TEXT,
    HEADLINE,
    HOLDER,
    HOUSEHOLD,
    MEASURE,
    MEASURE_HOW,
    NEXT,
    OFFLINE_MARK,
    RECOVERED,
    day_holder_words,
    decided_line,
    temperature_line,
)
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
    "measure_line",
    "render",
    "render_line",
    "wants_colour",
]

_COLOUR = {
    Verdict.ALLOW: "\033[1;97;42m",
    Verdict.DENY: "\033[1;97;41m",
    Verdict.REMEASURE: "\033[1;30;43m",
    Verdict.REFER: "\033[1;97;44m",
}
_RESET = "\033[0m"


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


def measure_line() -> str:
    """The request to measure on one line: "请测温 / Please measure your temperature  请将额头…"."""
    return f"{MEASURE[0]} / {MEASURE[1]}  {MEASURE_HOW[0]} / {MEASURE_HOW[1]}"


def render_line(view: DisplayView) -> str:
    """One decision on one line after its headline, Chinese first, English beside; ends with the
    guard's next step."""
    parts = [f"{view.text_zh} / {view.text_en}"]
    if view.celsius is not None:
        parts.append(f"{view.celsius:.1f}°C")
    parts += [p for p in (view.holder, view.household) if p]
    if (day := day_holder_words(view.reason, view.detail, view.zone)) is not None:
        parts.append(f"{day[0]} / {day[1]}")
    if view.offline:
        parts.append(OFFLINE_MARK)
    parts.append(f"{NEXT[0]} {NEXT[1]}: {view.action_zh} / {view.action_en}")
    return "  ".join(parts)


def render(view: DisplayView) -> str:
    """The block of text for one decision, Chinese first, English beside or under."""
    head = HEADLINE[view.verdict]
    if view.offline:
        head += f"    {OFFLINE_MARK}"
    if view.decided_at is not None:  # the guard sees how old the decision on the console is
        head += f"    {decided_line(view.decided_at, view.zone)}"
    lines = [head, f"{view.text_zh}", f"{view.text_en}"]
    if view.celsius is not None:
        lines.append(temperature_line(view.celsius))
    who = []
    if view.holder:
        who.append(f"{HOLDER[0]} {HOLDER[1]}: {view.holder}")
    if view.household:
        who.append(f"{HOUSEHOLD[0]} {HOUSEHOLD[1]}: {view.household}")
    if who:
        lines.append("   ".join(who))
    if (day := day_holder_words(view.reason, view.detail, view.zone)) is not None:
        lines.append(f"{day[0]} / {day[1]}")
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

    def ask_to_measure(self, seconds: float) -> None:
        """Print the request to measure (the next decision printed follows it)."""
        self._write(f"» {measure_line()}")

    def show_fault(self, fault: Fault) -> None:
        """Print a fault line."""
        zh, en = FAULT_TEXT[fault]
        self._write(f"⚠ {zh} / {en}")

    def clear_fault(self, fault: Fault) -> None:
        """Print that the fault is over."""
        zh, en = FAULT_TEXT[fault]
        self._write(f"✓ {RECOVERED[0]} {RECOVERED[1]}: {zh} / {en}")
