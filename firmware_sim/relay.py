"""RecordingRelay: the virtual turnstile relay, recording every open pulse."""

from __future__ import annotations

import threading
import time


class RecordingRelay:
    """Implements gate_agent.ports.Relay; remembers (monotonic time, pulse length) of each open."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pulses: list[tuple[float, float]] = []

    def open(self, pulse_s: float = 1.0) -> None:
        """Record one open pulse."""
        with self._cond:
            self._pulses.append((time.monotonic(), pulse_s))
            self._cond.notify_all()

    @property
    def pulses(self) -> list[tuple[float, float]]:
        """Every pulse so far."""
        with self._cond:
            return list(self._pulses)

    @property
    def count(self) -> int:
        """How many times the relay opened."""
        with self._cond:
            return len(self._pulses)

    def wait_for_count(self, n: int, timeout: float = 5.0) -> bool:
        """Block until at least n pulses were recorded; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._pulses) >= n, timeout)
