"""The virtual thermometer, read through a real pyserial port on its pty."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import serial

from firmware_sim.thermometer import VirtualThermometer
from gate_agent.devices.thermometer import SerialThermometer
from gate_agent.ports import ThermometerHealth
from gatecore.thermoline import Heartbeat, Measurement, SensorStatus, parse_line
from tests.gate_agent.conftest import wait_until

F = TypeVar("F", Measurement, Heartbeat)


@pytest.fixture
def thermo(tmp_path: Path) -> Iterator[VirtualThermometer]:
    """A thermometer beating ten times a second."""
    t = VirtualThermometer(tmp_path / "ttyIR0", heartbeat_s=0.1)
    t.start()
    yield t
    t.stop()


@pytest.fixture
def quiet(tmp_path: Path) -> Iterator[VirtualThermometer]:
    """A thermometer whose heartbeat will not interleave with what a test sends."""
    t = VirtualThermometer(tmp_path / "ttyIR0", heartbeat_s=60)
    t.start()
    yield t
    t.stop()


def _open(t: VirtualThermometer, timeout: float = 1.0) -> serial.Serial:
    return serial.Serial(str(t.path), 9600, timeout=timeout)


def _next(port: serial.Serial, kind: type[F], deadline_s: float = 2.0) -> F:
    """The next parsed line of the given kind, skipping the others."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = port.readline()
        if line:
            frame = parse_line(line)
            if isinstance(frame, kind):
                return frame
    raise AssertionError(f"no {kind.__name__} within {deadline_s} s")


def _line_of(port: serial.Serial, kind: type, deadline_s: float = 2.0) -> bytes:
    """The next raw line that is a frame (any kind: a frozen device repeats one); ``kind`` the first's."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = port.readline()
        if line and isinstance(parse_line(line), kind):
            return line
    raise AssertionError(f"no {kind.__name__} within {deadline_s} s")


def test_path_is_a_stable_link_to_a_pty(thermo: VirtualThermometer) -> None:
    assert thermo.path.is_symlink()
    assert os.readlink(thermo.path).startswith("/dev/pts/")
    assert thermo.device == os.readlink(thermo.path)


def test_measurement_arrives_framed(thermo: VirtualThermometer) -> None:
    with _open(thermo) as port:
        assert thermo.measure(36.6)
        m = _next(port, Measurement)
        assert (m.celsius, m.status) == (36.6, SensorStatus.OK)
        thermo.measure(None, SensorStatus.ERROR)
        m = _next(port, Measurement)
        assert (m.celsius, m.status) == (None, SensorStatus.ERROR)


def test_line_bytes_arrive_untranslated(quiet: VirtualThermometer) -> None:
    with _open(quiet) as port:
        quiet.measure(36.6)
        assert port.readline() == b"$TMP,1,36.6,OK*4D\r\n"  # raw pty: CR LF kept, nothing echoed


def test_heartbeats_arrive_with_rising_sequence(thermo: VirtualThermometer) -> None:
    with _open(thermo) as port:
        seqs = [_next(port, Heartbeat).seq for _ in range(3)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


def test_garbage_arrives_as_sent(quiet: VirtualThermometer) -> None:
    with _open(quiet) as port:
        sent = quiet.send_garbage(40)
        assert port.read(40) == sent
        quiet.send_raw(b"$TMP,9,36")  # a half line, as from a cable pulled mid-sentence
        assert port.read(9) == b"$TMP,9,36"


def test_silent_stops_heartbeats_and_measurements(thermo: VirtualThermometer) -> None:
    with _open(thermo, timeout=0.3) as port:
        _next(port, Heartbeat)
        thermo.set_silent(True)
        time.sleep(0.15)
        port.reset_input_buffer()
        assert not thermo.measure(36.5)
        assert port.read(100) == b""
        thermo.set_silent(False)
        _next(port, Heartbeat)


def test_stuck_sensor_repeats_its_value(quiet: VirtualThermometer) -> None:
    with _open(quiet) as port:
        quiet.set_stuck(35.2)
        quiet.measure(38.4)
        assert _next(port, Measurement).celsius == 35.2
        quiet.set_stuck(None)
        quiet.measure(38.4)
        assert _next(port, Measurement).celsius == 38.4


def test_frozen_firmware_repeats_its_last_line(thermo: VirtualThermometer) -> None:
    with _open(thermo) as port:
        thermo.measure(36.5)
        line = _line_of(port, Measurement)
        thermo.set_frozen(True)
        thermo.measure(38.4)  # a hung device sends nothing new
        assert [_line_of(port, Measurement) for _ in range(3)] == [line] * 3  # in place of heartbeats too
        thermo.set_frozen(False)
        assert _next(port, Heartbeat).seq > parse_line(line).seq


def test_the_gate_calls_a_frozen_thermometer_stuck(thermo: VirtualThermometer) -> None:
    reader = SerialThermometer(str(thermo.path), 9600, silent_after_s=1.0, frozen_after_s=1.0)
    reader.start()
    try:
        assert wait_until(lambda: reader.health() is ThermometerHealth.OK, 5)
        thermo.measure(36.5)
        thermo.set_frozen(True)
        assert wait_until(lambda: reader.health() is ThermometerHealth.STUCK, 5)
        thermo.set_frozen(False)
        thermo.measure(36.6)
        assert wait_until(lambda: reader.health() is ThermometerHealth.OK, 5)
    finally:
        reader.stop()


def test_unplug_fails_reads_and_replug_restores_the_path(thermo: VirtualThermometer) -> None:
    port = _open(thermo)
    _next(port, Heartbeat)
    thermo.unplug()
    assert not thermo.path.exists() and not thermo.plugged
    with pytest.raises(serial.SerialException):
        for _ in range(5):  # at most a buffered byte or two before the EIO
            port.read(100)
    port.close()
    with pytest.raises(serial.SerialException):
        _open(thermo)
    assert not thermo.measure(36.6)

    thermo.replug()
    assert thermo.path.exists()
    with _open(thermo) as port:
        hb = _next(port, Heartbeat)
        assert hb.seq < 20  # the device rebooted: its sequence starts again


def test_nobody_reading_never_blocks_the_device(quiet: VirtualThermometer) -> None:
    started = time.monotonic()
    results = [quiet.measure(36.6) for _ in range(3000)]  # far more than a pty buffers
    assert time.monotonic() - started < 3.0
    assert not all(results) and quiet.lines_dropped > 0
    with _open(quiet) as port:  # and a reader that arrives later still gets fresh lines
        quiet.measure(36.7)
        assert _next(port, Measurement).celsius == 36.7
