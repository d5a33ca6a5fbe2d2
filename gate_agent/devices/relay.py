"""The turnstile relay: the Relay port, NullRelay for gates without one (a guard opens by hand),
and SerialRelay for a relay board on a serial line.

The serial frame is ASCII, one line: ``@OPEN:<milliseconds>*<checksum>\\n`` where the checksum is
two upper-case hex digits, the XOR of the bytes between ``@`` and ``*`` (NMEA style), so that a
board ignores a line damaged on a long cable instead of acting on it."""

from __future__ import annotations

import logging
import threading
from functools import reduce

import serial

from gate_agent.errors import RelayError
from gate_agent.ports import Relay

__all__ = ["NullRelay", "Relay", "SerialRelay", "open_frame", "parse_frame"]

logger = logging.getLogger(__name__)


def _checksum(body: bytes) -> str:
    return f"{reduce(lambda a, b: a ^ b, body, 0):02X}"


def open_frame(pulse_s: float) -> bytes:
    """The frame that opens the relay for ``pulse_s`` seconds."""
    body = f"OPEN:{round(pulse_s * 1000)}".encode()
    return b"@" + body + b"*" + _checksum(body).encode() + b"\n"


def parse_frame(line: bytes) -> float | None:
    """The pulse in seconds of a well-formed open frame; None for anything else."""
    line = line.strip()
    if not line.startswith(b"@") or b"*" not in line:
        return None
    body, _, check = line[1:].partition(b"*")
    if check.decode("ascii", "replace") != _checksum(body) or not body.startswith(b"OPEN:"):
        return None
    try:
        return int(body[5:]) / 1000
    except ValueError:
        return None


class NullRelay:
    """A relay that only logs; for gates where the guard opens the barrier."""

    def open(self, pulse_s: float = 1.0) -> None:
        """Log the pulse that would have been sent."""
        logger.info("relay: open for %.1f s (no relay attached)", pulse_s)


class SerialRelay:
    """A relay board on a serial port; the port is (re)opened on demand, so a board unplugged
    and plugged back works again without a restart. A failed pulse is logged, never raised: the
    decision must still reach the display, and the guard opens by hand."""

    def __init__(self, path: str, baud: int = 9600) -> None:
        self.path, self.baud = path, baud
        self._port: serial.Serial | None = None
        self._lock = threading.Lock()

    def _send(self, frame: bytes) -> None:
        try:
            if self._port is None:
                self._port = serial.Serial(self.path, self.baud, timeout=0.2, write_timeout=0.5)
            self._port.write(frame)
            self._port.flush()
        except (serial.SerialException, OSError, ValueError) as exc:
            self._close()
            raise RelayError(f"relay on {self.path}: {exc}") from exc

    def open(self, pulse_s: float = 1.0) -> None:
        """Send one open pulse; on a write error, reopen the port and try once more."""
        frame = open_frame(pulse_s)
        with self._lock:
            for attempt in (1, 2):
                try:
                    self._send(frame)
                    return
                except RelayError as exc:
                    if attempt == 2:
                        logger.error("relay pulse failed, open by hand: %s", exc)

    def _close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except (serial.SerialException, OSError):
                pass
            self._port = None

    def close(self) -> None:
        """Release the port."""
        with self._lock:
            self._close()
