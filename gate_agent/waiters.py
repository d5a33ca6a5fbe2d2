"""Small helpers of the scan pipeline: repeat suppression of QR texts, and the decisions the
pipeline is waiting for."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from gatecore.messages import DecisionMessage
from gatecore.reasons import Verdict


class RepeatFilter:
    """Drops a QR text seen again within ``window`` s (sliding, so a code held up yields one scan),
    unless the last decision on it asked the person to measure again and ``measured_since(t)`` says a
    usable reading has come since that scan: the code still held up is then decided again. Any other
    decision (a fever refusal above all) leaves the held code alone."""

    def __init__(self, window: float, measured_since: Callable[[float], bool] = lambda _: False) -> None:
        self.window = window
        self.measured_since = measured_since
        self._lock = threading.Lock()  # the decode thread asks, the scan thread tells the outcome
        self._seen: dict[str, float] = {}
        self._scanned: dict[str, float] = {}  # when each text last made a scan
        self._remeasure: dict[str, float] = {}  # texts whose last decision was a re-measure: since when

    def fresh(self, text: str, now: float) -> bool:
        """True when this text should make a scan."""
        with self._lock:
            last = self._seen.get(text)
            self._seen[text] = now
            if len(self._seen) > 256:
                self._prune(now)
            fresh = last is None or now - last > self.window
            since = self._remeasure.get(text)
            if not fresh and since is not None and self.measured_since(since):
                fresh = True  # measured again while holding the code up
            if fresh:
                self._scanned[text] = now
                self._remeasure.pop(text, None)
            return fresh

    def decided(self, text: str, verdict: Verdict) -> None:
        """The decision shown on a scan of ``text``: a re-measure lets a new reading decide the held
        code again; any other (a fever refusal) does not."""
        with self._lock:
            scanned = self._scanned.get(text)
            if verdict is Verdict.REMEASURE and scanned is not None:
                self._remeasure[text] = scanned
            else:
                self._remeasure.pop(text, None)

    def _prune(self, now: float) -> None:
        self._seen = {t: at for t, at in self._seen.items() if now - at <= self.window}
        self._scanned = {t: at for t, at in self._scanned.items() if t in self._seen}
        self._remeasure = {t: at for t, at in self._remeasure.items() if t in self._seen}


class DecisionWaiters:
    """Decisions the pipeline is waiting for, by event id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, queue.Queue[DecisionMessage]] = {}

    def register(self, event_id: str) -> queue.Queue[DecisionMessage]:
        """A slot the decision for event_id will be put in."""
        with self._lock:
            return self._slots.setdefault(event_id, queue.Queue(maxsize=1))

    def unregister(self, event_id: str) -> None:
        """No longer waiting (answered, or timed out)."""
        with self._lock:
            self._slots.pop(event_id, None)

    def deliver(self, msg: DecisionMessage) -> bool:
        """Hand a decision to its waiter; False when nobody waits for it (a late decision)."""
        with self._lock:
            slot = self._slots.get(msg.event_id)
        if slot is None:
            return False
        try:
            slot.put_nowait(msg)
        except queue.Full:  # a duplicate delivery of the same decision
            pass
        return True

    def __contains__(self, event_id: object) -> bool:
        """Whether the pipeline is waiting on this event now."""
        with self._lock:
            return event_id in self._slots
