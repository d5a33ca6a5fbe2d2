"""Thermometer line framing: round trip and every kind of damage."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatecore.thermoline import (
    CELSIUS_MAX,
    CELSIUS_MIN,
    FrameError,
    Heartbeat,
    Measurement,
    SensorStatus,
    checksum,
    format_heartbeat,
    format_measurement,
    parse_line,
    tenths,
)


def test_measurement_round_trip() -> None:
    line = format_measurement(7, 36.6, SensorStatus.OK)
    assert parse_line(line) == Measurement(7, 36.6, SensorStatus.OK)
    assert parse_line(format_measurement(8, None, SensorStatus.ERROR)) == Measurement(
        8, None, SensorStatus.ERROR
    )
    assert parse_line(format_heartbeat(9)) == Heartbeat(9)


def test_documented_example_bytes() -> None:
    assert format_measurement(3, 36.6, SensorStatus.OK) == b"$TMP,3,36.6,OK*4F\r\n"


@pytest.mark.parametrize(
    "line,why",
    [
        (b"TMP,3,36.6,OK*4F", "start with '$'"),
        (b"$TMP,3,36.6,OK", "no '*'"),
        (b"$TMP,3,36.6,OK*00", "checksum"),
        (b"$TMP,3,36.6*" + b"00", "checksum"),
        (b"$" + b"A" * 80 + b"*00", "longer than"),
        (b"$TMP,3,36.6,XX*" + checksum(b"TMP,3,36.6,XX").encode(), "unknown sensor status"),
        (b"$TMP,3,hot,OK*" + checksum(b"TMP,3,hot,OK").encode(), "not a plain decimal"),
        (b"$FOO,1*" + checksum(b"FOO,1").encode(), "unknown sentence"),
    ],
)
def test_damage_is_named(line: bytes, why: str) -> None:
    with pytest.raises(FrameError, match=re.escape(why)):
        parse_line(line)


@given(st.binary(max_size=80))
def test_garbage_never_raises_anything_but_frame_error(data: bytes) -> None:
    try:
        parse_line(data)
    except FrameError:
        pass


@given(st.integers(0, 10**6), st.floats(30, 45).map(lambda c: round(c, 1)))
def test_any_reading_round_trips(seq: int, celsius: float) -> None:
    assert parse_line(format_measurement(seq, celsius, SensorStatus.OK)) == Measurement(
        seq, celsius, SensorStatus.OK
    )


def _tmp(value: str, seq: str = "7") -> bytes:
    body = f"TMP,{seq},{value},OK".encode()
    return b"$" + body + b"*" + checksum(body).encode() + b"\r\n"


@pytest.mark.parametrize(
    "value",
    [
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e30",
        "1e3",
        "3_6.6",
        " 36.6",
        "+36.6",
        "151",
        "-51",
        "9" * 40,
        "0x24",
        "36.",
        ".5",
    ],
)
def test_odd_numbers_are_refused(value: str) -> None:
    with pytest.raises(FrameError, match="temperature"):
        parse_line(_tmp(value))


@pytest.mark.parametrize("seq", ["-1", "1e3", "9" * 11, "+4", "4_0", ""])
def test_odd_sequence_numbers_are_refused(seq: str) -> None:
    with pytest.raises(FrameError, match="sequence number"):
        parse_line(_tmp("36.6", seq))


def test_negative_zero_is_read_as_zero() -> None:
    reading = parse_line(_tmp("-0.0"))
    assert isinstance(reading, Measurement) and math.copysign(1.0, reading.celsius or 0.0) == 1.0


@given(st.text(alphabet="0123456789.-+eEinfaINFAx_ ", max_size=30))
def test_any_celsius_text_is_refused_or_finite_in_range(value: str) -> None:
    try:
        reading = parse_line(_tmp(value))
    except FrameError:
        return
    assert isinstance(reading, Measurement)
    if value == "-":  # the protocol's "no reading"
        assert reading.celsius is None
        return
    assert reading.celsius is not None
    assert math.isfinite(reading.celsius) and CELSIUS_MIN <= reading.celsius <= CELSIUS_MAX


@pytest.mark.parametrize(
    "value,celsius",
    [("37.29", 37.3), ("37.25", 37.3), ("37.249", 37.2), ("36.65", 36.7), ("36.6", 36.6), ("-0.04", 0.0)],
)
def test_a_reading_is_taken_to_a_tenth_half_up(value: str, celsius: float) -> None:
    """The gate judges, sends and shows one value: 37.29 is judged a fever, as 37.3 is shown."""
    reading = parse_line(_tmp(value))
    assert isinstance(reading, Measurement) and reading.celsius == celsius
    assert math.copysign(1.0, reading.celsius) == 1.0


def test_tenths_rounds_the_decimal_not_the_binary_float() -> None:
    assert f"{36.65:.1f}" == "36.6"  # formatting the binary float rounds down
    assert (tenths(36.65), tenths("36.65"), tenths(37.25), tenths(-0.0)) == (36.7, 36.7, 37.3, 0.0)


@given(st.floats(-50, 150).map(lambda c: round(c, 3)))
def test_every_reading_is_a_tenth_and_shows_as_itself(celsius: float) -> None:
    reading = parse_line(_tmp(f"{celsius:.3f}"))
    assert isinstance(reading, Measurement) and reading.celsius is not None
    assert reading.celsius == float(f"{reading.celsius:.1f}")  # the value is what the display shows
    assert abs(reading.celsius - celsius) <= 0.05 + 1e-9
