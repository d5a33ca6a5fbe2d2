"""Resender: publishes unacknowledged outbox events again, in sequence order, whenever the link
is up, backing off per event so that a long central outage does not flood the broker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from gate_agent.errors import GateError
from gate_agent.ports import Link, Outbox

logger = logging.getLogger(__name__)

MAX_INTERVAL_S = 60.0
PACE_S = 0.005  # a backlog of thousands must not starve live scans of the link
BATCH = 200


class Resender:
    """Drains the outbox; a decision (the application-level ack) is what removes an event."""

    def __init__(
        self, outbox: Outbox, link: Link, busy: Callable[[str], bool], *, resend_after_s: float = 3.0
    ) -> None:
        self.outbox = outbox
        self.link = link
        self.busy = busy  # events the scan pipeline is waiting on right now are left alone
        self.resend_after_s = resend_after_s
        self._lock = threading.Lock()
        self._sent: dict[str, tuple[float, int]] = {}  # event id -> (last publish, times published)

    def mark_sent(self, event_id: str) -> None:
        """The pipeline published this event just now."""
        with self._lock:
            self._sent[event_id] = (time.monotonic(), 1)

    def forget_all(self) -> None:
        """The link was re-established: whatever was in flight may be lost, resend everything."""
        with self._lock:
            self._sent.clear()

    def _due(self, event_id: str, now: float) -> bool:
        with self._lock:
            last, times = self._sent.get(event_id, (None, 0))
        if last is None:
            return True
        interval = min(self.resend_after_s * 2 ** max(times - 1, 0), MAX_INTERVAL_S)
        return now - last >= interval

    def drain_once(self, stop: threading.Event | None = None) -> int:
        """Publish every due event once, in order; return how many were published."""
        if not self.link.up:
            return 0
        try:
            pending = self.outbox.pending(BATCH)
        except GateError as exc:
            logger.error("outbox unreadable: %s", exc)
            return 0
        published = 0
        for event in pending:
            if (stop is not None and stop.is_set()) or not self.link.up:
                break
            now = time.monotonic()
            if self.busy(event.event_id) or not self._due(event.event_id, now):
                continue
            if self.link.publish_event(event):
                with self._lock:
                    _, times = self._sent.get(event.event_id, (None, 0))
                    self._sent[event.event_id] = (now, times + 1)
                published += 1
                logger.info(
                    "event %s (seq %s) published again%s",
                    event.event_id,
                    event.seq,
                    " with its offline decision" if event.offline else "",
                )
                time.sleep(PACE_S)
        with self._lock:  # forget acknowledged events
            live = {e.event_id for e in pending}
            if len(pending) < BATCH:
                self._sent = {k: v for k, v in self._sent.items() if k in live or self.busy(k)}
        return published

    def run(self, stop: threading.Event, wake: threading.Event) -> None:
        """Loop until stop: drain whenever woken, and at least twice a second."""
        while not stop.is_set():
            wake.wait(0.5)
            wake.clear()
            try:
                self.drain_once(stop)
            except Exception:  # the resend thread must outlive any single bad event
                logger.exception("resend pass failed")
