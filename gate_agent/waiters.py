"""Small helpers of the scan pipeline: repeat suppression of QR texts, and the decisions the
pipeline is waiting for."""

from __future__ import annotations

import queue
import threading

from gatecore.messages import DecisionMessage


class RepeatFilter:
    """Drops a QR text seen again within ``window`` s (sliding, so a code held up yields one scan)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: dict[str, float] = {}

    def fresh(self, text: str, now: float) -> bool:
        """True when this text should make a scan."""
        last = self._seen.get(text)
        self._seen[text] = now
        if len(self._seen) > 256:
            self._seen = {t: at for t, at in self._seen.items() if now - at <= self.window}
        return last is None or now - last > self.window


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
