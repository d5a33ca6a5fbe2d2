"""Thermometer line framing: round trip and every kind of damage."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatecore.thermoline import (
    FrameError,
    Heartbeat,
    Measurement,
    SensorStatus,
    checksum,
    format_heartbeat,
    format_measurement,
    parse_line,
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
        (b"$TMP,3,hot,OK*" + checksum(b"TMP,3,hot,OK").encode(), "bad number"),
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
