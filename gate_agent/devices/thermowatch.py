"""LineWatch: what the thermometer's good lines say of the device itself, beyond their readings: a
frozen device (one line repeated, sequence number and all) and a device set to Fahrenheit."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gate_agent.ports import ThermometerHealth
from gatecore.thermoline import Heartbeat, Measurement, SensorStatus, fahrenheit_as_celsius, looks_fahrenheit

logger = logging.getLogger(__name__)

# one line, sequence number and all, received again and again for this long: the device's firmware
# hangs repeating its output (a device sending a line twice does so at once, and then moves on)
FROZEN_AFTER_S = 5.0
FROZEN_LINES = 3  # and at least this often: one line that happens to match an old one is no hang


@dataclass(slots=True)
class _Repeat:
    """The last line of one sentence, when it first came, when it last came and how often."""

    line: bytes
    first: float
    last: float
    count: int = 1


class LineWatch:
    """Fed every good line; not thread-safe (the reader calls it under its own lock). The same value
    with an advancing sequence number is normal traffic (many people measure 36.5), never a fault."""

    def __init__(self, *, frozen_after_s: float = FROZEN_AFTER_S, silent_after_s: float = 3.0) -> None:
        self.frozen_after_s = frozen_after_s
        self.silent_after_s = silent_after_s
        self._repeats: dict[type, _Repeat] = {}  # by sentence: measurement, heartbeat
        self._fahrenheit: float | None = None  # the last good reading, when it looks like °F

    def reset(self) -> None:
        """The port was opened again: a replugged device starts afresh."""
        self._repeats.clear()
        self._fahrenheit = None

    def line(self, line: bytes, frame: Measurement | Heartbeat, now: float) -> None:
        """A good line came at ``now`` (monotonic)."""
        self._repeated(line, type(frame), now)
        if isinstance(frame, Measurement):
            self._unit(frame)

    def health(self, now: float) -> ThermometerHealth | None:
        """STUCK (a line repeated for frozen_after_s, and still coming), FAHRENHEIT, or None."""
        if any(self._frozen(r, now) for r in self._repeats.values()):
            return ThermometerHealth.STUCK
        if self._fahrenheit is not None:
            return ThermometerHealth.FAHRENHEIT
        return None

    def _frozen(self, r: _Repeat, now: float) -> bool:
        # a device that stopped repeating is silent, or moved on to another line
        long = r.count >= FROZEN_LINES and r.last - r.first >= self.frozen_after_s
        return long and now - r.last <= self.silent_after_s

    def _repeated(self, line: bytes, sentence: type, now: float) -> None:
        last = self._repeats.get(sentence)
        if last is None or last.line != line:
            self._repeats[sentence] = _Repeat(line, now, now)
            return
        was = self._frozen(last, now)
        last.last, last.count = now, last.count + 1
        if not was and self._frozen(last, now):
            logger.warning(
                "thermometer repeats the line %r, sequence number and all, for %.0f s: it looks frozen",
                line.decode("ascii", "replace"),
                now - last.first,
            )

    def _unit(self, m: Measurement) -> None:
        """A good reading of 98.6 is a device set to Fahrenheit: said, never converted (the protocol
        carries Celsius and declares no unit); a good Celsius reading clears it."""
        if m.status is not SensorStatus.OK or m.celsius is None:
            return
        if not looks_fahrenheit(m.celsius):
            self._fahrenheit = None
            return
        if self._fahrenheit is None:
            logger.warning(
                "thermometer reading %.1f looks like degrees Fahrenheit (%.1f °C if so); the line "
                "protocol carries Celsius: set the device to °C",
                m.celsius,
                fahrenheit_as_celsius(m.celsius),
            )
        self._fahrenheit = m.celsius
