"""GuardConsole: the guard's keyboard-driven terminal. It is the gate's Display on a terminal (the
last decision, for as long as the gate screen shows it; the faults; a pending symptom mark) and
reads single keys: a/d override the last decision with a reason from a short list, t types a
hand-measured temperature, c marks a cough or other symptoms for the next scan (or withdraws the
mark), s types a code by hand, q quits."""

from __future__ import annotations

import io
import logging
import os
import select
import stat
import termios
import threading
import time
import tty
from datetime import tzinfo
from typing import TYPE_CHECKING, TextIO

from gate_agent.devices.display import FAULT_TEXT, measure_line, render
from gate_agent.errors import GateError
from gate_agent.ports import Fault
from gate_agent.views import DisplayView
from gate_agent.words import (
    CONSOLE_KEYS,
    IDLE,
    OVERRIDE_REASONS,
    SYMPTOM_WORDS,
    VERDICT_WORDS,
    marked_words,
    not_submitted,
    say,
)
from gatecore.reasons import Verdict
from gatecore.thermoline import tenths

if TYPE_CHECKING:
    from gate_agent.agent import GateAgent
    from gatecore.messages import ScanEvent

logger = logging.getLogger(__name__)


SYMPTOM_KEYS = tuple(SYMPTOM_WORDS)  # 1, 2, … on the menu, in the catalogue's order
WITHDRAW_KEY = "0"  # on the symptom menu while a mark is pending
KEYS = "  ".join(f"[{key}] {zh} {en}" for key, zh, en in CONSOLE_KEYS)
ESC = "\x1b"
MANUAL_RANGE = (30.0, 45.0)  # a hand measurement outside this is a typing slip, not a person


def console_kind(stream: TextIO | None) -> str | None:
    """How a program may take commands from ``stream`` (its stdin): ``"terminal"`` (one it runs in
    the foreground of), ``"lines"`` (a pipe, socket or file: a script), or None (``/dev/null``,
    closed, or a terminal it runs in the background of, where a read would stop the process)."""
    try:
        fd = stream.fileno() if stream is not None else -1
        mode = os.fstat(fd).st_mode
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return None
    if os.isatty(fd):
        try:
            return "terminal" if os.tcgetpgrp(fd) == os.getpgrp() else None
        except OSError:  # a terminal that is not ours to control (a pty handed to a child): readable
            return "terminal"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISREG(mode):
        return "lines"
    return None


def _menu_digit(key: str, choices: int) -> bool:
    """Whether ``key`` picks one of a menu's ``choices`` (1 to 9): the byte 0xB2, read as "²", is a
    digit to str.isdigit() but not to int(), whose ValueError ended the guard's console."""
    return len(key) == 1 and key in "123456789"[:choices]


def manual_celsius(text: str) -> float | None:
    """A typed hand measurement to 0.1 °C (37.29 is 37.3, as the thermometer would show it), or None
    when it is not a person's temperature."""
    try:
        celsius = float(text)
    except ValueError:
        return None
    return tenths(text.strip()) if MANUAL_RANGE[0] <= celsius <= MANUAL_RANGE[1] else None


class GuardConsole:
    """Implements the Display port on a terminal and runs the guard's key loop."""

    def __init__(self, fd_in: int, out: TextIO, *, verdict_s: float, guard: str = "guard") -> None:
        """``verdict_s``: how long a decision stays shown (the gate screen's ``screen_verdict_s``)."""
        self.fd_in, self.out, self.guard = fd_in, out, guard
        self.verdict_s = verdict_s
        self._lock = threading.Lock()
        self._view: DisplayView | None = None
        self._shown_at = 0.0  # monotonic
        self._measure_until = 0.0  # monotonic: the request to measure stands until then, or a view
        self._faults: set[Fault] = set()
        self._note = ""
        self._note_at = 0.0  # monotonic
        self._prompt = ""
        self._agent: GateAgent | None = None  # whose symptom mark is shown; set by run()
        self._drawn: tuple[object, object, str] = (False, None, "")  # what the last redraw showed

    # the Display port

    def show(self, view: DisplayView) -> None:
        """Show a decision (replacing the last one) for ``verdict_s`` seconds."""
        with self._lock:
            self._view, self._shown_at, self._measure_until = view, time.monotonic(), 0.0
        self._redraw()

    def ask_to_measure(self, seconds: float) -> None:
        """Ask the person to measure, in place of the last decision, until the next or ``seconds``."""
        with self._lock:
            self._view, self._measure_until = None, time.monotonic() + seconds
        self._redraw()

    def show_fault(self, fault: Fault) -> None:
        """Show a fault until cleared."""
        with self._lock:
            self._faults.add(fault)
        self._redraw()

    def clear_fault(self, fault: Fault) -> None:
        """The fault is over."""
        with self._lock:
            self._faults.discard(fault)
        self._redraw()

    def _showing(self) -> tuple[DisplayView | bool, tuple[tuple[str, ...], float | None], str]:
        """The decision still within its seconds (else whether the person is asked to measure); what
        waits for the next scan (the symptom mark and the typed temperature); the note, for as long
        as its menu is open or else as long as a verdict is shown: "submitted" left standing would
        be read as about the next person (call under the lock)."""
        now = time.monotonic()
        fresh = self._view is not None and now - self._shown_at < self.verdict_s
        agent = self._agent
        waiting = (agent.symptoms.waiting(), agent.thermometer.typed()) if agent else ((), None)
        note = self._note if self._prompt or now - self._note_at < self.verdict_s else ""
        view = self._view if fresh and self._view is not None else now < self._measure_until
        return view, waiting, note

    def _redraw(self) -> None:
        with self._lock:
            view, waiting, note = self._showing()
            marked, typed = waiting
            parts = ["\033[2J\033[H═══ " + say("title") + " ═══"]
            # an old verdict left standing would be read as the answer for the next person
            if isinstance(view, DisplayView):
                parts.append(render(view))
            else:  # asked to measure, or idle
                parts.append(f"（{measure_line() if view else f'{IDLE[0]} {IDLE[1]}'}）")
            parts += [f"⚠ {FAULT_TEXT[f][0]} / {FAULT_TEXT[f][1]}" for f in sorted(self._faults)]
            if marked:  # until the next scan of a pass takes it, it lapses or the guard withdraws it
                zh, en = marked_words(marked)
                parts.append(f"● {say('symptom_marked', ' / ', zh=zh, en=en)}")
            if typed is not None:  # likewise the typed temperature: never a note left standing
                parts.append(f"● {say('temperature_used', ' / ', celsius=f'{typed:.1f}')}")
            if note:
                parts.append(f"» {note}")
            parts += [KEYS, self._prompt]
            self._drawn = (view, waiting, note)
            self.out.write("\n".join(parts))
            self.out.flush()

    def _tick(self) -> None:
        """Between keys: redraw when the verdict's seconds are over or what waits changed."""
        with self._lock:
            view, waiting, note = self._showing()
            changed = (view, waiting, note) != self._drawn
        if changed:
            self._redraw()

    def _say(self, note: str, prompt: str = "") -> None:
        with self._lock:
            self._note, self._prompt, self._note_at = note, prompt, time.monotonic()
        self._redraw()

    # the keys

    def run(self, agent: GateAgent, stop: threading.Event) -> None:
        """Read keys until q, end of input or ``stop``; the terminal is restored afterwards."""
        self._agent = agent
        saved = termios.tcgetattr(self.fd_in) if os.isatty(self.fd_in) else None
        if saved is not None:
            tty.setcbreak(self.fd_in)  # one key at a time, no echo
        try:
            self._say("")
            while (key := self._key(stop)) is not None and key != "q":
                self._dispatch(agent, key, stop)
        finally:
            if saved is not None:
                termios.tcsetattr(self.fd_in, termios.TCSADRAIN, saved)

    def _dispatch(self, agent: GateAgent, key: str, stop: threading.Event) -> None:
        if key in ("a", "d"):
            self._override(agent, allow=key == "a", stop=stop)
        elif key == "t":
            self._temperature(agent, stop)
        elif key == "c":
            self._symptoms(agent, stop)
        elif key == "s":
            code = self._line(say("code_prompt"), stop)
            if code:
                try:
                    agent.submit_scan(code)
                except GateError as exc:  # nothing was stored: the guard must know
                    self._refused(exc)
                    return
                self._say(say("submitted"))
        else:
            self._say("")

    def _temperature(self, agent: GateAgent, stop: threading.Event) -> None:
        waiting = agent.thermometer.typed()
        if waiting is None:
            prompt = say("temperature_prompt")
        else:  # typed for a person who turned away: taken back here, or it lands on the next one
            prompt = say("temperature_prompt_waiting", celsius=f"{waiting:.1f}")
        text = self._line(prompt, stop)
        if text is None:
            self._say(say("cancelled"))
        elif waiting is not None and text == WITHDRAW_KEY:
            agent.manual_temperature(None)
            self._say(say("temperature_withdrawn", " / "))
        elif (celsius := manual_celsius(text)) is not None:
            agent.manual_temperature(celsius)
            self._say("")  # the waiting reading has its own line, for as long as it waits
        else:
            self._say(say("temperature_bad", low=MANUAL_RANGE[0], high=MANUAL_RANGE[1]))

    def _symptoms(self, agent: GateAgent, stop: threading.Event) -> None:
        menu = "  ".join(f"{n}. {' '.join(SYMPTOM_WORDS[s])}" for n, s in enumerate(SYMPTOM_KEYS, 1))
        pending = agent.symptoms.waiting()
        if pending:  # a mark meant for someone who turned away is taken back here
            menu += f"  {WITHDRAW_KEY}. {say('withdraw_symptoms')}"
        self._say(say("choose_symptom"), menu)
        key = self._key(stop)
        if pending and key == WITHDRAW_KEY:
            agent.mark_symptoms(())
            self._say(say("symptoms_withdrawn", " / "))
            return
        if key is None or not _menu_digit(key, len(SYMPTOM_KEYS)):
            self._say(say("cancelled"))
            return
        agent.mark_symptoms((SYMPTOM_KEYS[int(key) - 1],))
        self._say("")  # the pending mark has its own line, for as long as it is pending

    def _override(self, agent: GateAgent, *, allow: bool, stop: threading.Event) -> None:
        last = agent.last_event
        if last is None:
            self._say(say("nothing_to_override", " / "))
            return
        menu = "  ".join(f"{n}. {zh} {en}" for n, (zh, en) in enumerate(OVERRIDE_REASONS, 1))
        _, zh, en = VERDICT_WORDS[Verdict.ALLOW if allow else Verdict.DENY]
        word = f"{zh} {en}"
        # the verdict left the screen after its seconds: the guard must see whose decision this is
        self._say(
            f"{say('choose_reason', verdict=word)}\n» {self._overridden(last, agent.offline.zone)}", menu
        )
        key = self._key(stop)
        if key is None or not _menu_digit(key, len(OVERRIDE_REASONS)):
            self._say(say("cancelled"))
            return
        zh, en = OVERRIDE_REASONS[int(key) - 1]
        reason = f"{zh} / {en}"
        if int(key) == len(OVERRIDE_REASONS):  # "other" needs the guard's own words
            words = self._line(say("explain_prompt"), stop)
            if not words:
                self._say(say("cancelled"))
                return
            reason = f"{reason}: {words}"
        try:
            event_id = agent.submit_override(last, allow=allow, reason=reason, guard=self.guard)
        except GateError as exc:
            self._refused(exc)
            return
        logger.info("guard override %s of event %s as event %s", en, last.event_id, event_id)
        self._say(say("override_submitted", " / ", verdict=word))

    def _overridden(self, last: ScanEvent, zone: tzinfo | None) -> str:
        """The decision an override of ``last`` changes: its time (in ``zone``, the campus's), reason and
        holder as shown."""
        with self._lock:
            view = self._view if self._view is not None and self._view.event_id == last.event_id else None
        at = f"{last.gate_time.astimezone(view.zone if view else zone):%H:%M:%S}"
        if view is None:  # still being decided
            return say("override_of_scan", " / ", at=at)
        zh, en = (" ".join(filter(None, (text, view.holder))) for text in (view.text_zh, view.text_en))
        return say("override_of", " / ", at=at, zh=zh, en=en)

    def _refused(self, exc: GateError) -> None:
        logger.warning("guard's entry not stored: %s", exc)  # the details for the log, not the guard
        self._say(" ".join(not_submitted(exc)))

    def _key(self, stop: threading.Event) -> str | None:
        """One key, or None at end of input or on stop."""
        while not stop.is_set():
            ready, _, _ = select.select([self.fd_in], [], [], 0.2)
            if ready:
                data = os.read(self.fd_in, 1)
                return data.decode("latin-1") if data else None
            self._tick()
        return None

    def _line(self, prompt: str, stop: threading.Event) -> str | None:
        """A typed line (echoed, Backspace works); None when cancelled with Esc."""
        chars: list[str] = []
        buf = b""
        while True:
            self._say("", prompt + "".join(chars))
            key = self._key(stop)
            if key is None or key == ESC:
                return None
            if key in ("\r", "\n"):
                return "".join(chars).strip()
            if key in ("\x7f", "\b"):
                if chars:
                    chars.pop()
                continue
            buf += key.encode("latin-1")
            try:
                chars.append(buf.decode())
                buf = b""
            except UnicodeDecodeError:  # the middle of a multi-byte character
                pass
