"""ScreenDisplay: the full-screen web page for a monitor at the gate, served on 127.0.0.1 by the
standard library; the page polls /state.json every 300 ms, and its symptom buttons POST /symptoms
(a cough or other symptoms, carried by the next scan of a pass; an empty list withdraws the mark).
A verdict is shown for ``verdict_s`` seconds, then the page asks for the next pass; the state says
so, so a page loaded later shows no old verdict. TeeDisplay shows on several displays."""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gate_agent.pending import SymptomMark
from gate_agent.ports import Display, Fault
from gate_agent.views import DisplayView
from gate_agent.words import (
    CANCEL,
    FAULT_TEXT,
    HOUSEHOLD,
    IDLE,
    MEASURE,
    MEASURE_HOW,
    NEXT_SCAN,
    NOT_RUNNING,
    NOT_RUNNING_ACTION,
    OFFLINE,
    SYMPTOM_WORDS,
    VERDICT_WORDS,
    day_holder_words,
    decided_line,
    temperature_line,
)
from gatecore.messages import SYMPTOMS

logger = logging.getLogger(__name__)

WORDS = {
    "idle": IDLE,
    "measure": MEASURE,
    "measure_how": MEASURE_HOW,
    "offline": OFFLINE,
    "not_running": NOT_RUNNING,
    "not_running_action": NOT_RUNNING_ACTION,
    "symptoms": {s: SYMPTOM_WORDS[s] for s in SYMPTOMS},
    "cancel": CANCEL,
}


@functools.cache
def page() -> bytes:
    """The page (screen.html beside this module) with the words in it: it still speaks when the
    program behind it has stopped."""
    html = Path(__file__).with_name("screen.html").read_text(encoding="utf-8")
    words = json.dumps(WORDS, ensure_ascii=False).replace("<", "\\u003c")
    return html.replace("__WORDS__", words).encode()


class ScreenDisplay:
    """The Display port as a local web page; start() serves it, close() stops serving."""

    def __init__(self, port: int, host: str = "127.0.0.1", *, verdict_s: float) -> None:
        self.verdict_s = verdict_s
        self._lock = threading.Lock()
        self._view: DisplayView | None = None
        self._shown = (0.0, datetime.now(UTC))  # when the view came: monotonic (for the expiry) and wall
        self._measure_until = 0.0  # monotonic: the request to measure stands until then, or a view
        self._faults: set[Fault] = set()
        self._seq = 0
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        # the guard's symptom mark: bootstrap gives the screen the agent's own, so the page shows the
        # mark the next scan of a pass will carry, until that scan takes it, it lapses or is withdrawn
        self.marks = SymptomMark()

    @property
    def url(self) -> str:
        """Where the page is served."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> ScreenDisplay:
        """Serve in a thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="gate-screen", daemon=True)
        self._thread.start()
        logger.info("gate screen on %s", self.url)
        return self

    def close(self) -> None:
        """Stop serving."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def show(self, view: DisplayView) -> None:
        """Show a decision (it replaces a request to measure)."""
        with self._lock:
            self._view, self._seq = view, self._seq + 1
            self._shown = (time.monotonic(), datetime.now(UTC))
            self._measure_until = 0.0

    def ask_to_measure(self, seconds: float) -> None:
        """Ask the person to measure, in place of the last verdict, until a decision or ``seconds``."""
        with self._lock:
            self._view, self._seq = None, self._seq + 1
            self._measure_until = time.monotonic() + seconds

    def show_fault(self, fault: Fault) -> None:
        """Show a fault until cleared."""
        with self._lock:
            self._faults.add(fault)

    def clear_fault(self, fault: Fault) -> None:
        """The fault is over."""
        with self._lock:
            self._faults.discard(fault)

    def mark(self, symptoms: tuple[str, ...]) -> None:
        """The guard pressed a symptom button: mark the next scan; () (取消 Cancel) withdraws the mark."""
        self.marks.mark(symptoms)

    def state(self) -> dict[str, Any]:
        """What the page shows now, as JSON-ready data; ``view`` is None once the verdict expired."""
        with self._lock:
            v, faults, seq = self._view, sorted(self._faults), self._seq
            (shown_mono, shown_at), measure_left = self._shown, self._measure_until - time.monotonic()
        left = self.verdict_s - (time.monotonic() - shown_mono)
        view = None
        if v is not None and left > 0:
            view = _view(v, shown_at, shown_at + timedelta(seconds=self.verdict_s), left)
        # the person is asked to measure (the page has the words) until a decision or its seconds
        measure = {"seconds_left": round(measure_left, 3)} if measure_left > 0 else None
        pending = self.marks.pending()
        marked, mark_left = pending if pending is not None else ((), 0.0)
        words = ", ".join(" ".join(SYMPTOM_WORDS[m]) for m in marked)
        return {
            "seq": seq,
            "view": view,
            "measure": measure,
            "verdict_s": self.verdict_s,
            # the decision shown was made at the gate, or the link is down: the gate decides alone
            "offline": bool(view and view["offline"]) or Fault.LINK_DOWN in faults,
            # the network fault is the offline badge; the band keeps what a guard must go and do
            "faults": [
                {"code": f.value, "zh": FAULT_TEXT[f][0], "en": FAULT_TEXT[f][1]}
                for f in faults
                if f is not Fault.LINK_DOWN
            ],
            "marked": list(marked),
            "marked_text": f"{NEXT_SCAN[0]} {NEXT_SCAN[1]}: {words}" if marked else "",
            "marked_seconds_left": round(mark_left, 3),  # it lapses like a typed temperature
            "at": datetime.now(UTC).isoformat(),
        }


def _view(v: DisplayView, shown_at: datetime, expires_at: datetime, left: float) -> dict[str, Any]:
    _, head_zh, head_en = VERDICT_WORDS[v.verdict]
    return {
        "verdict": v.verdict.value,
        "reason": v.reason.value,
        "head_zh": head_zh,
        "head_en": head_en,
        "text_zh": v.text_zh,
        "text_en": v.text_en,
        "action_zh": v.action_zh,
        "action_en": v.action_en,
        "celsius": v.celsius,
        "temp": "" if v.celsius is None else temperature_line(v.celsius),  # labelled in both, as ever
        "holder": v.holder,
        "household": v.household,
        "who": "　".join(x for x in (v.holder, _household(v)) if x),
        "day_holder": day_holder_words(v.reason, v.detail, v.zone),
        "offline": v.offline,
        "decided": decided_line(v.decided_at or shown_at, v.zone),
        "shown_at": shown_at.isoformat(),
        "expires_at": expires_at.isoformat(),
        "seconds_left": round(left, 3),
    }


def _household(v: DisplayView) -> str:
    # offline the gate knows only the household's number: "#38" alone says nothing, so say what it is
    if v.offline and v.household:
        return f"{HOUSEHOLD[0]} {HOUSEHOLD[1]}: {v.household}"
    return v.household


def _handler(screen: ScreenDisplay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            if self.path == "/":
                body, kind = page(), "text/html; charset=utf-8"
            elif self.path.startswith("/state.json"):
                body, kind = json.dumps(screen.state(), ensure_ascii=False).encode(), "application/json"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            if self.path != "/symptoms":
                self.send_error(404)
                return
            try:
                body = json.loads(self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 1024)))
                if not isinstance(body["symptoms"], list):
                    raise TypeError(body["symptoms"])
                symptoms = tuple(body["symptoms"])  # []: the guard withdraws the mark
                if any(s not in SYMPTOMS for s in symptoms) or len(set(symptoms)) != len(symptoms):
                    raise ValueError(symptoms)
            except (ValueError, KeyError, TypeError):
                self.send_error(422, f"symptoms must be a list of {', '.join(SYMPTOMS)} (empty: withdraw)")
                return
            screen.mark(symptoms)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # a poll every 300 ms must not fill the log

    return Handler


class TeeDisplay:
    """Shows everything on several displays (terminal and gate screen)."""

    def __init__(self, *displays: Display) -> None:
        self.displays = displays

    def show(self, view: DisplayView) -> None:
        """Show on each."""
        for d in self.displays:
            d.show(view)

    def ask_to_measure(self, seconds: float) -> None:
        """Ask on each."""
        for d in self.displays:
            d.ask_to_measure(seconds)

    def show_fault(self, fault: Fault) -> None:
        """Show on each."""
        for d in self.displays:
            d.show_fault(fault)

    def clear_fault(self, fault: Fault) -> None:
        """Clear on each."""
        for d in self.displays:
            d.clear_fault(fault)

    def close(self) -> None:
        """Close those that can be closed."""
        for d in self.displays:
            close = getattr(d, "close", None)
            if close is not None:
                close()
