"""The infrared thermometer's serial line protocol (NMEA-like), shared by the device simulator
and the gate's reader so that the framing exists once. See docs/thermometer-protocol.md.

    $TMP,<seq>,<celsius|->,<status>*<XX>\\r\\n     one measurement
    $HBT,<seq>*<XX>\\r\\n                          heartbeat, once a second

XX is the XOR of every byte between ``$`` and ``*``, as two upper-case hex digits.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gatecore import CoreError

MAX_LINE = 64
# the widest range any infrared thermometer on the wire may report; a person's plausible range is
# the policy's business (TEMP_IMPLAUSIBLE), this one only keeps absurd numbers off the audit chain
CELSIUS_MIN, CELSIUS_MAX = -50.0, 150.0
# plain decimals only: float() would also take nan, inf, 1e30, 3_6.6 and surrounding spaces
_SEQ = re.compile(r"\d{1,10}")
_CELSIUS = re.compile(r"-?\d{1,3}(\.\d{1,3})?")
_TENTH = Decimal("0.1")
# a forehead's temperature (30-45 °C) as degrees Fahrenheit: no person's reading in Celsius
FAHRENHEIT_BODY = (86.0, 113.0)


class SensorStatus(enum.StrEnum):
    """What the sensor says of its own reading."""

    OK = "ok"
    LOW = "low"  # below the sensor's range (nothing in front, or a cold object)
    HIGH = "high"
    ERROR = "error"
    MISSING = "missing"  # no reading paired with the scan (gate-side status)
    MANUAL = "manual"  # typed in by the guard


_WIRE = {"OK": SensorStatus.OK, "LO": SensorStatus.LOW, "HI": SensorStatus.HIGH, "ER": SensorStatus.ERROR}
_WIRE_BACK = {v: k for k, v in _WIRE.items()}


class FrameError(CoreError):
    """A line from the thermometer is damaged or not of the protocol."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """One reading as the device sent it."""

    seq: int
    celsius: float | None
    status: SensorStatus


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The device is alive."""

    seq: int


def checksum(body: bytes) -> str:
    """XOR of the bytes, as two hex digits."""
    x = 0
    for b in body:
        x ^= b
    return f"{x:02X}"


def _frame(body: str) -> bytes:
    raw = body.encode("ascii")
    return b"$" + raw + b"*" + checksum(raw).encode() + b"\r\n"


def format_measurement(seq: int, celsius: float | None, status: SensorStatus) -> bytes:
    """The bytes a device sends for one measurement."""
    value = "-" if celsius is None else f"{celsius:.1f}"
    return _frame(f"TMP,{seq},{value},{_WIRE_BACK[status]}")


def format_heartbeat(seq: int) -> bytes:
    """The bytes a device sends once a second."""
    return _frame(f"HBT,{seq}")


def parse_line(line: bytes) -> Measurement | Heartbeat:
    """Parse one line (with or without CR LF); raise FrameError with a precise reason."""
    line = line.strip(b"\r\n")
    if len(line) > MAX_LINE:
        raise FrameError(f"line of {len(line)} bytes is longer than {MAX_LINE}")
    if not line.startswith(b"$"):
        raise FrameError("line does not start with '$'")
    body, star, cs = line[1:].rpartition(b"*")
    if not star:
        raise FrameError("line has no '*' checksum separator")
    if cs.decode("ascii", "replace") != checksum(body):
        raise FrameError(f"checksum {cs!r} does not match {checksum(body)}")
    try:
        fields = body.decode("ascii").split(",")
    except UnicodeDecodeError:
        raise FrameError("line holds non-ASCII bytes") from None
    if fields[0] == "HBT" and len(fields) == 2:
        return Heartbeat(seq=_seq(fields[1]))
    if fields[0] == "TMP" and len(fields) == 4:
        status = _WIRE.get(fields[3])
        if status is None:
            raise FrameError(f"unknown sensor status {fields[3]!r}")
        celsius = None if fields[2] == "-" else _celsius(fields[2])
        return Measurement(seq=_seq(fields[1]), celsius=celsius, status=status)
    raise FrameError(f"unknown sentence {fields[0]!r} with {len(fields)} fields")


def tenths(celsius: float | str) -> float:
    """A reading to 0.1 °C, half up (36.65 -> 36.7): the resolution a thermometer shows and the gate
    displays. The gate takes every reading so (the line and the guard's typed one), so the value the
    rules judge, here and at central, is the one the person and the guard read (37.29 is 37.3: fever)."""
    # from the text, not the binary float: 36.65 is 36.649999… in binary and would round down
    return float(Decimal(str(celsius)).quantize(_TENTH, rounding=ROUND_HALF_UP)) + 0.0


def looks_fahrenheit(value: float) -> bool:
    """Whether a reading is no person's temperature in Celsius but is one in Fahrenheit (98.6): a
    device set to °F. The line carries Celsius and declares no unit, so nothing is converted."""
    return FAHRENHEIT_BODY[0] <= value <= FAHRENHEIT_BODY[1]


def fahrenheit_as_celsius(value: float) -> float:
    """What a Fahrenheit value would be in Celsius, to 0.1 (for the log's hint, never for a decision)."""
    return tenths(round((value - 32) / 1.8, 3))


def _seq(text: str) -> int:
    if not _SEQ.fullmatch(text):
        raise FrameError(f"sequence number {text[:12]!r} is not a plain number")
    return int(text)


def _celsius(text: str) -> float:
    if not _CELSIUS.fullmatch(text):
        raise FrameError(f"temperature {text[:12]!r} is not a plain decimal number")
    value = float(text)
    if not CELSIUS_MIN <= value <= CELSIUS_MAX:
        raise FrameError(f"temperature {value} is outside {CELSIUS_MIN} to {CELSIUS_MAX}")
    # -0.0 becomes 0.0 (the audit chain hashes what the database gives back); 37.29 becomes 37.3
    return tenths(text)
