"""SerialThermometer on a real pseudo-terminal behind a symlink, as the device simulator runs it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from gate_agent.devices.thermometer import SerialThermometer
from gate_agent.ports import ThermometerHealth
from gatecore.thermoline import SensorStatus, checksum, format_heartbeat, format_measurement
from tests.gate_agent.conftest import PtyDevice, wait_until

OK = SensorStatus.OK


@pytest.fixture
def thermo(pty_device: PtyDevice) -> Iterator[SerialThermometer]:
    t = SerialThermometer(str(pty_device.link), 9600, silent_after_s=0.6)
    t.start()
    assert wait_until(lambda: t.health() is not ThermometerHealth.UNPLUGGED, 3), "port never opened"
    yield t
    t.stop()


def measure(dev: PtyDevice, seq: int, celsius: float | None, status: SensorStatus = OK) -> None:
    dev.write(format_measurement(seq, celsius, status))


def test_reading_is_parsed_and_paired(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 1, 36.6)
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 0.1).celsius == 36.6, 2)


def test_reading_after_the_scan_is_waited_for(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    scan_at = time.monotonic()
    threading.Timer(0.3, measure, (pty_device, 2, 36.9)).start()
    t = thermo.reading_for_scan(scan_at, 2.0)
    assert (t.celsius, t.status) == (36.9, OK)
    assert time.monotonic() - scan_at < 1.5  # returned when the reading came, not at the deadline


def test_a_reading_belongs_to_one_scan(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 1, 36.4)
    time.sleep(0.2)
    assert thermo.reading_for_scan(time.monotonic(), 0.5).celsius == 36.4
    again = thermo.reading_for_scan(time.monotonic(), 0.3)
    assert again.status is SensorStatus.MISSING and again.celsius is None


def test_reading_outside_the_window_is_not_paired(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 1, 36.5)
    time.sleep(1.5)
    t = thermo.reading_for_scan(time.monotonic(), 0.3)  # the reading is 1.5 s old: too old
    assert t.status is SensorStatus.MISSING


def test_the_good_reading_wins_over_a_sensor_error(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 1, None, SensorStatus.ERROR)
    measure(pty_device, 2, 36.7)
    time.sleep(0.2)
    t = thermo.reading_for_scan(time.monotonic(), 1.0)
    assert (t.celsius, t.status) == (36.7, OK)


def test_a_fever_is_not_washed_out_by_a_second_try(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 1, 38.2)  # too high, so the person measures again at once
    measure(pty_device, 2, 36.5)
    time.sleep(0.2)
    t = thermo.reading_for_scan(time.monotonic(), 1.0)
    assert (t.celsius, t.status) == (38.2, OK)
    # both were that person's: neither is left for whoever scans next
    assert thermo.reading_for_scan(time.monotonic(), 1.0).status is SensorStatus.MISSING


def test_a_line_sent_twice_is_one_reading(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 7, 36.4)
    time.sleep(0.2)
    assert thermo.reading_for_scan(time.monotonic(), 1.0).celsius == 36.4
    measure(pty_device, 7, 36.4)  # the device sends the same measurement again
    time.sleep(0.2)
    assert thermo.reading_for_scan(time.monotonic(), 1.0).status is SensorStatus.MISSING
    measure(pty_device, 8, 36.6)  # the next measurement is read
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 0.5).celsius == 36.6, 2)


def test_a_line_repeated_all_night_is_logged_once(
    pty_device: PtyDevice, thermo: SerialThermometer, caplog: pytest.LogCaptureFixture
) -> None:
    # frozen firmware repeats its last measurement every second: the stuck fault says so, the log
    # says "read once" once, not once a second until morning
    caplog.set_level(logging.INFO, logger="gate_agent.devices.thermometer")
    for _ in range(6):
        measure(pty_device, 9, 36.5)
    measure(pty_device, 10, 36.6)
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 0.5).celsius == 36.6, 2)
    said = [r for r in caplog.records if "received twice" in r.getMessage()]
    assert [r.getMessage() for r in said] == ["thermometer measurement seq 9 received twice, read once"]


def test_a_typed_temperature_uses_up_the_devices_reading(
    pty_device: PtyDevice, thermo: SerialThermometer
) -> None:
    measure(pty_device, 1, 38.4)  # the guard doubts it, measures by hand and types 36.6
    time.sleep(0.2)
    thermo.manual(36.6)
    t = thermo.reading_for_scan(time.monotonic(), 1.0)
    assert (t.celsius, t.status) == (36.6, SensorStatus.MANUAL)
    assert thermo.reading_for_scan(time.monotonic(), 1.0).status is SensorStatus.MISSING  # not 38.4


def test_sensor_status_is_passed_on(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    measure(pty_device, 1, None, SensorStatus.LOW)
    time.sleep(0.2)
    assert thermo.reading_for_scan(time.monotonic(), 1.0).status is SensorStatus.LOW


def test_garbage_and_half_lines_do_not_kill_the_reader(
    pty_device: PtyDevice, thermo: SerialThermometer
) -> None:
    line = format_measurement(5, 36.8, OK)
    pty_device.write(b"\x00\xff\xfe noise \x07\r\n")  # one damaged line
    pty_device.write(b"x" * 300)  # overlong garbage, no newline: discarded
    pty_device.write(b"\r\n")
    pty_device.write(line[:7])  # half a line ...
    time.sleep(0.3)
    pty_device.write(line[7:])  # ... and the rest later
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 0.1).celsius == 36.8, 2)
    assert thermo.frame_errors >= 2
    assert thermo.health() is ThermometerHealth.OK


def test_noise_before_a_frame_is_dropped_and_the_frame_read(
    pty_device: PtyDevice, thermo: SerialThermometer
) -> None:
    pty_device.write(b"\xff\xfe" + format_measurement(3, 36.2, OK))
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 0.1).celsius == 36.2, 2)
    assert thermo.frame_errors == 1


def test_checksum_error_is_rejected(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    good = format_measurement(9, 39.9, OK)
    bad = good[:-4] + (b"00" if good[-4:-2] != b"00" else b"11") + b"\r\n"
    pty_device.write(bad)
    assert wait_until(lambda: thermo.frame_errors == 1, 2)
    assert thermo.reading_for_scan(time.monotonic(), 0.2).status is SensorStatus.MISSING


def test_health_garbage_when_recent_lines_are_all_damaged(
    pty_device: PtyDevice, thermo: SerialThermometer
) -> None:
    for _ in range(3):
        pty_device.write(b"$TMP,1,36.6,OK*ZZ\r\n")
    assert wait_until(lambda: thermo.health() is ThermometerHealth.GARBAGE, 2)
    measure(pty_device, 1, 36.6)
    assert wait_until(lambda: thermo.health() is ThermometerHealth.OK, 2)


def test_heartbeats_between_damaged_lines_do_not_hide_garbage(
    pty_device: PtyDevice, thermo: SerialThermometer
) -> None:
    """A bad cable passes the short heartbeat now and then; only a good reading clears garbage."""
    for seq in range(1, 5):
        pty_device.write(format_heartbeat(seq))
        pty_device.write(b"\x8f\x10 ?? \xfe\x81 noise\r\n")
    assert wait_until(lambda: thermo.frame_errors == 4, 2)  # every line above has been read
    assert thermo.health() is ThermometerHealth.GARBAGE
    for seq in range(5, 8):
        pty_device.write(format_heartbeat(seq))
    assert not wait_until(lambda: thermo.health() is not ThermometerHealth.GARBAGE, 1.0)
    measure(pty_device, 8, 36.6)
    assert wait_until(lambda: thermo.health() is ThermometerHealth.OK, 2)


def test_health_silent_then_ok_on_heartbeat(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    assert wait_until(lambda: thermo.health() is ThermometerHealth.SILENT, 2)
    pty_device.write(format_heartbeat(1))
    assert wait_until(lambda: thermo.health() is ThermometerHealth.OK, 2)


def test_the_same_value_with_an_advancing_seq_is_normal_traffic(
    pty_device: PtyDevice, thermo: SerialThermometer
) -> None:
    """Many people measure 36.5: each line a new measurement (its own seq) is no stuck device."""
    for seq in range(1, 9):
        measure(pty_device, seq, 36.5)
        pty_device.write(format_heartbeat(100 + seq))
        time.sleep(0.05)
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 1.0).celsius == 36.5, 2)
    assert thermo.health() is ThermometerHealth.OK


@pytest.mark.parametrize("line", [format_measurement(7, 36.5, OK), format_heartbeat(7)])
def test_a_device_repeating_one_line_seq_and_all_is_stuck(pty_device: PtyDevice, line: bytes) -> None:
    """A hung firmware repeats its last line forever: it looks alive (and is read once), but it is frozen."""
    t = SerialThermometer(str(pty_device.link), 9600, silent_after_s=0.6, frozen_after_s=1.0)
    t.start()
    try:
        assert wait_until(lambda: t.health() is not ThermometerHealth.UNPLUGGED, 3)
        stop = threading.Event()

        def frozen() -> None:
            while not stop.wait(0.15):
                pty_device.write(line)

        repeater = threading.Thread(target=frozen, daemon=True)
        repeater.start()
        assert wait_until(lambda: t.health() is ThermometerHealth.STUCK, 5)
        if line.startswith(b"$TMP"):  # every copy of the line was one measurement
            back = time.monotonic() - 5.0  # the last 10 s, and no waiting
            assert t.reading_for_scan(back, 5.0).celsius == 36.5
            assert t.reading_for_scan(back, 5.0).status is SensorStatus.MISSING
        stop.set()
        repeater.join(2)
        measure(pty_device, 8, 36.6)  # the device moves on: a new line
        pty_device.write(format_heartbeat(9))
        assert wait_until(lambda: t.health() is ThermometerHealth.OK, 3)
    finally:
        t.stop()


def test_readings_in_fahrenheit_are_a_unit_fault_never_converted(
    pty_device: PtyDevice, thermo: SerialThermometer, caplog: pytest.LogCaptureFixture
) -> None:
    measure(pty_device, 1, 98.6)
    assert wait_until(lambda: thermo.health() is ThermometerHealth.FAHRENHEIT, 2)
    t = thermo.reading_for_scan(time.monotonic(), 1.0)
    assert (t.celsius, t.status) == (98.6, OK)  # the protocol declares no unit: passed on as sent
    assert any(
        "98.6 looks like degrees Fahrenheit (37.0 °C if so)" in r.getMessage()
        and "set the device to °C" in r.getMessage()
        for r in caplog.records
    )
    measure(pty_device, 2, None, SensorStatus.ERROR)  # a sensor error says nothing of the unit
    pty_device.write(format_heartbeat(3))
    time.sleep(0.2)
    assert thermo.health() is ThermometerHealth.FAHRENHEIT
    measure(pty_device, 4, 36.6)  # set to Celsius
    assert wait_until(lambda: thermo.health() is ThermometerHealth.OK, 2)


def test_unplug_and_replug(pty_device: PtyDevice, thermo: SerialThermometer) -> None:
    pty_device.unplug()
    assert wait_until(lambda: thermo.health() is ThermometerHealth.UNPLUGGED, 3)
    started = time.monotonic()
    assert thermo.reading_for_scan(started, 3.0).status is SensorStatus.MISSING
    assert time.monotonic() - started < 0.5  # unplugged: nothing will come, so no waiting
    pty_device.plug()  # the simulator re-creates its pty behind the same link
    assert wait_until(lambda: thermo.health() is not ThermometerHealth.UNPLUGGED, 3)
    measure(pty_device, 1, 36.3)
    assert wait_until(lambda: thermo.reading_for_scan(time.monotonic(), 0.1).celsius == 36.3, 2)
    assert thermo.health() is ThermometerHealth.OK


def test_missing_port_is_unplugged_and_manual_entry_still_works(tmp_path) -> None:
    t = SerialThermometer(str(tmp_path / "nothing-here"), 9600)
    t.start()
    try:
        assert wait_until(lambda: t.health() is ThermometerHealth.UNPLUGGED, 1)
        assert t.reading_for_scan(time.monotonic(), 1.0).status is SensorStatus.MISSING
        t.manual(37.0)
        reading = t.reading_for_scan(time.monotonic(), 1.0)
        assert (reading.celsius, reading.status) == (37.0, SensorStatus.MANUAL)
        assert t.reading_for_scan(time.monotonic(), 0.1).status is SensorStatus.MISSING  # used once
    finally:
        t.stop()


@pytest.mark.parametrize("value", ["nan", "inf", "1e30", "999"])
def test_non_finite_or_absurd_reading_is_a_bad_frame(
    pty_device: PtyDevice, thermo: SerialThermometer, value: str
) -> None:
    body = f"TMP,7,{value},OK".encode()
    pty_device.write(b"$" + body + b"*" + checksum(body).encode() + b"\r\n")
    assert wait_until(lambda: thermo.frame_errors == 1, 2)
    assert thermo.reading_for_scan(time.monotonic(), 0.2).status is SensorStatus.MISSING
