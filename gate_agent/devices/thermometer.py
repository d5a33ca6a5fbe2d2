"""SerialThermometer: reads the infrared thermometer's framed lines from a serial port (a pty
works the same), pairs readings with scans, reports health and reopens the port by itself."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import serial

from gate_agent.devices.thermowatch import FROZEN_AFTER_S, LineWatch
from gate_agent.errors import ThermometerError
from gate_agent.pending import ForNextScan
from gate_agent.ports import ThermometerHealth
from gatecore.messages import Temperature
from gatecore.thermoline import MAX_LINE, FrameError, Heartbeat, Measurement, SensorStatus, parse_line, tenths

logger = logging.getLogger(__name__)

REOPEN_EVERY_S = 0.5
MAX_BUFFER = 2 * MAX_LINE  # more than this without a newline is noise, not a line
GARBAGE_COUNT = 3


@dataclass(slots=True)
class _Reading:
    at: float
    measurement: Measurement
    used: bool = False


class SerialThermometer:
    """Reader thread over pyserial; the Thermometer port."""

    def __init__(
        self,
        path: str,
        baud: int = 9600,
        *,
        silent_after_s: float = 3.0,
        frozen_after_s: float = FROZEN_AFTER_S,
    ) -> None:
        self.path = str(path)
        self.baud = baud
        self.silent_after_s = silent_after_s
        self.frame_errors = 0
        self._cond = threading.Condition()
        self._readings: deque[_Reading] = deque(maxlen=64)
        # damaged lines since the last well-formed measurement; heartbeats leave it alone, as a bad
        # cable passes a short $HBT line far more often than a reading
        self._bad_run = 0
        self._last_alive: float | None = None
        self._last_seq: int | None = None  # of the last measurement: a line sent twice is one reading
        self._said_repeat: int | None = None  # the seq whose repeat was logged (once, not every second)
        # a frozen device (one line repeated, seq and all) and one set to °F
        self._watch = LineWatch(frozen_after_s=frozen_after_s, silent_after_s=silent_after_s)
        self._port: serial.Serial | None = None
        self._open_error: str | None = "not started"
        self._manual: ForNextScan[float] = ForNextScan()  # typed by the guard; lapses like a symptom mark
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._buf = b""
        self._last_log = 0.0
        self._suppressed = 0

    def start(self) -> None:
        """Start the reader thread (it opens the port and keeps it open)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="thermometer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the reader and close the port."""
        self._stop.set()
        if self._thread:
            self._thread.join(3)
        self._close()

    def _open(self) -> None:
        try:
            port = serial.Serial(self.path, self.baud, timeout=0.2)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ThermometerError(f"cannot open {self.path}: {exc}") from exc
        with self._cond:
            self._port = port
            self._open_error = None
            self._last_alive = time.monotonic()  # silence is counted from the moment we listen
            self._buf = b""
            self._bad_run = 0  # a replugged device starts afresh
            self._last_seq = None  # and counts from 1 again
            self._watch.reset()
        logger.info("thermometer port %s opened", self.path)

    def _close(self) -> None:
        with self._cond:
            port, self._port = self._port, None
            self._cond.notify_all()  # a scan waiting for a reading must not wait for a gone device
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    def _read(self) -> bytes:
        assert self._port is not None
        try:
            return bytes(self._port.read(256))
        except (serial.SerialException, OSError) as exc:  # EIO: the adapter or the pty went away
            raise ThermometerError(f"read from {self.path} failed: {exc}") from exc

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._port is None:
                try:
                    self._open()
                except ThermometerError as exc:
                    if self._open_error != str(exc):
                        logger.warning("thermometer unplugged: %s", exc)
                    self._open_error = str(exc)
                    self._stop.wait(REOPEN_EVERY_S)
                    continue
            try:
                data = self._read()
            except ThermometerError as exc:
                logger.warning("thermometer lost: %s", exc)
                self._close()
                self._open_error = str(exc)
                continue
            if data:
                self.feed(data)

    def feed(self, data: bytes) -> None:
        """Split bytes into lines and parse them; damaged lines are counted, never fatal."""
        self._buf += data
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            self._line(line)
        if len(self._buf) > MAX_BUFFER:
            # keep a frame that may have just begun; drop the noise before it
            start = self._buf.rfind(b"$")
            tail = self._buf[start:] if start >= 0 else b""
            self._bad(f"{len(self._buf) - len(tail)} bytes without a newline discarded")
            self._buf = tail if len(tail) <= MAX_LINE else b""

    def _line(self, line: bytes) -> None:
        line = line.strip(b"\r\n")
        if not line:
            return
        start = line.rfind(b"$")
        if start > 0:  # noise before the frame (a plug-in glitch): count it, still read the frame
            self._bad(f"{start} bytes of noise before '$'")
            line = line[start:]
        try:
            frame = parse_line(line)
        except FrameError as exc:
            self._bad(str(exc))
            return
        now = time.monotonic()
        with self._cond:
            self._last_alive = now
            self._watch.line(line, frame, now)
            if isinstance(frame, Measurement):
                self._bad_run = 0
                if frame.seq == self._last_seq:  # sent again: one measurement, one person's
                    # said once per seq: frozen firmware repeats it every second all night (the
                    # watch names that as stuck)
                    if frame.seq != self._said_repeat:
                        logger.info("thermometer measurement seq %s received twice, read once", frame.seq)
                        self._said_repeat = frame.seq
                    return
                self._last_seq = frame.seq
                self._readings.append(_Reading(now, frame))
                self._cond.notify_all()
        if isinstance(frame, Heartbeat):
            logger.debug("thermometer heartbeat %s", frame.seq)

    def _bad(self, why: str) -> None:
        now = time.monotonic()
        with self._cond:
            self.frame_errors += 1
            self._bad_run += 1
        # a cable fault can send dozens of bad lines a second: one log line a second is enough
        if now - self._last_log >= 1.0:
            logger.warning("thermometer line rejected: %s (%d more since last report)", why, self._suppressed)
            self._last_log, self._suppressed = now, 0
        else:
            self._suppressed += 1

    def manual(self, celsius: float | None) -> None:
        """A guard's hand measurement, used by the next scan; to 0.1 °C, as the line's readings are.
        None withdraws it (typed for a person who turned away, it must not land on the next one)."""
        with self._cond:
            if celsius is None:
                self._manual.withdraw()
            else:
                self._manual.set(tenths(celsius))
            self._cond.notify_all()

    def typed(self) -> float | None:
        """The hand measurement waiting for the next scan, or None."""
        pending = self._manual.pending()
        return None if pending is None else pending[0]

    def reading_for_scan(
        self,
        at_monotonic: float,
        window: float,
        *,
        take: bool = True,
        waiting: Callable[[float], None] | None = None,
    ) -> Temperature:
        """The reading nearest the scan within +-window (waiting for one); MISSING when none. ``take``
        False (a scan that names nobody): the reading is seen, for a fever alert, and left for the
        pass the person shows next, a typed one too. ``waiting(seconds)`` is called once, when there
        is none yet and it waits (up to ``seconds``): the gate asks the person to measure."""
        deadline = at_monotonic + window
        with self._cond:
            while True:
                manual, near = self.typed(), self._near(at_monotonic, window)
                if take:
                    # one reading belongs to one person, the one with a pass; so does all of the
                    # window so far: a person measured twice, or the guard typed over the device's,
                    # and the other reading must not reach the next person
                    for r in near:
                        r.used = True
                if manual is not None:
                    if take:
                        self._manual.take()
                    return Temperature(manual, SensorStatus.MANUAL)
                if near:
                    m = _pick(near, at_monotonic).measurement
                    return Temperature(m.celsius, m.status)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._port is None:  # unplugged: nothing will come, do not wait
                    return Temperature(None, SensorStatus.MISSING)
                if waiting is not None:  # said once, outside the lock; then look again
                    self._cond.release()
                    try:
                        waiting(remaining)
                    finally:
                        self._cond.acquire()
                    waiting = None
                    continue
                self._cond.wait(remaining)

    def measured_since(self, since: float) -> bool:
        """Whether a usable reading came after ``since`` (monotonic) and nobody used it: a sensor-OK
        one with a value, or the guard's typed one (a person asked to measure again has done so)."""
        with self._cond:
            if self.typed() is not None:
                return True
            return any(
                not r.used
                and r.at > since
                and r.measurement.status is SensorStatus.OK
                and r.measurement.celsius is not None
                for r in self._readings
            )

    def _near(self, at: float, window: float) -> list[_Reading]:
        return [r for r in self._readings if not r.used and abs(r.at - at) <= window]

    def health(self) -> ThermometerHealth:
        """unplugged, garbage, silent, stuck, fahrenheit or ok (in that order of precedence)."""
        now = time.monotonic()
        with self._cond:
            if self._port is None:
                return ThermometerHealth.UNPLUGGED
            if self._bad_run >= GARBAGE_COUNT:
                return ThermometerHealth.GARBAGE
            if self._last_alive is None or now - self._last_alive > self.silent_after_s:
                return ThermometerHealth.SILENT
            return self._watch.health(now) or ThermometerHealth.OK


def _pick(near: list[_Reading], at: float) -> _Reading:
    """A person often measures twice: a good reading counts over a sensor error, and of good readings
    the highest, so a fever is never washed out by a second try that read lower; else the nearest."""

    def weight(r: _Reading) -> tuple[bool, float, float]:
        m = r.measurement
        good = m.status is SensorStatus.OK and m.celsius is not None
        return (good, m.celsius if good and m.celsius is not None else 0.0, -abs(r.at - at))

    return max(near, key=weight)
